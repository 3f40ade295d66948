set -e
tc qdisc del dev eth0 root 2>/dev/null || true
tc qdisc add dev eth0 root handle 1: htb default ffff
tc class add dev eth0 parent 1: classid 1:1 htb rate 10mbit ceil 10mbit burst 3028 cburst 3028 quantum 60000
tc class add dev eth0 parent 1:1 classid 1:ffff htb rate 10mbit ceil 10mbit burst 3028 cburst 3028 quantum 60000
tc qdisc add dev eth0 parent 1:ffff handle fff0: netem limit 17 delay 10000us

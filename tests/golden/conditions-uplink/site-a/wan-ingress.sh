set -e
tc qdisc del dev olwlab0 root 2>/dev/null || true
tc qdisc add dev olwlab0 root handle 1: htb default ffff
tc class add dev olwlab0 parent 1: classid 1:1 htb rate 50mbit ceil 50mbit burst 6250 cburst 6250 quantum 60000
tc class add dev olwlab0 parent 1:1 classid 1:ffff htb rate 50mbit ceil 50mbit burst 6250 cburst 6250 quantum 60000
tc qdisc add dev olwlab0 parent 1:ffff handle fff0: netem limit 84 delay 10000us

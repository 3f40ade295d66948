set -e
tc qdisc del dev eth0 root 2>/dev/null || true
tc qdisc add dev eth0 root handle 1: htb default ffff
tc class add dev eth0 parent 1: classid 1:1 htb rate 100000mbit ceil 100000mbit burst 12500000 cburst 12500000 quantum 60000
tc class add dev eth0 parent 1:1 classid 1:ffff htb rate 100000mbit ceil 100000mbit burst 12500000 cburst 12500000 quantum 60000
tc qdisc add dev eth0 parent 1:ffff handle fff0: netem limit 1000 delay 5000us loss random 1%
tc class add dev eth0 parent 1:1 classid 1:10 htb rate 50mbit ceil 50mbit burst 6250 cburst 6250 quantum 60000
tc qdisc add dev eth0 parent 1:10 handle 100: netem limit 209 delay 25000us 1000us distribution normal loss random 1.099%
tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 198.18.0.2/32 flowid 1:10

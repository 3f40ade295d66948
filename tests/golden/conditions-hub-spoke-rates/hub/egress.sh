set -e
tc qdisc del dev eth0 root 2>/dev/null || true
tc qdisc add dev eth0 root handle 1: htb default ffff
tc class add dev eth0 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 60000
tc class add dev eth0 parent 1:1 classid 1:ffff htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 60000
tc class add dev eth0 parent 1:1 classid 1:10 htb rate 50mbit ceil 50mbit burst 6250 cburst 6250 quantum 60000
tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 198.18.0.2/32 flowid 1:10
tc class add dev eth0 parent 1:1 classid 1:11 htb rate 20mbit ceil 20mbit burst 3028 cburst 3028 quantum 60000
tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 198.18.0.3/32 flowid 1:11

set -e
tc qdisc del dev eth0 root 2>/dev/null || true
tc qdisc add dev eth0 root handle 1: htb default ffff
tc class add dev eth0 parent 1: classid 1:1 htb rate 100000mbit ceil 100000mbit burst 12500000 cburst 12500000 quantum 60000
tc class add dev eth0 parent 1:1 classid 1:ffff htb rate 100000mbit ceil 100000mbit burst 12500000 cburst 12500000 quantum 60000
tc class add dev eth0 parent 1:1 classid 1:10 htb rate 100000mbit ceil 100000mbit burst 12500000 cburst 12500000 quantum 60000
tc qdisc add dev eth0 parent 1:10 handle 100: netem limit 1000 delay 20000us 1000us distribution normal loss random 0.1%
tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 198.18.0.1/32 flowid 1:10

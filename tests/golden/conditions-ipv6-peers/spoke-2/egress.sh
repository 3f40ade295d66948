set -e
tc qdisc del dev eth0 root 2>/dev/null || true
tc qdisc add dev eth0 root handle 1: htb default ffff
tc class add dev eth0 parent 1: classid 1:1 htb rate 100000mbit ceil 100000mbit burst 12500000 cburst 12500000 quantum 60000
tc class add dev eth0 parent 1:1 classid 1:ffff htb rate 100000mbit ceil 100000mbit burst 12500000 cburst 12500000 quantum 60000
tc class add dev eth0 parent 1:1 classid 1:10 htb rate 20mbit ceil 20mbit burst 3028 cburst 3028 quantum 60000
tc filter add dev eth0 parent 1: protocol ipv6 prio 2 u32 match ip6 dst fd00::1/128 flowid 1:10

if tc -j qdisc show dev eth0 root 2>/dev/null | grep -q '"kind":"htb","handle":"1:".*"default":"0xffff"'; then
  tc qdisc del dev eth0 root
  echo cleared
fi

/*
 * A fixed delay line for bench/measure.bench.ts, for kernels without sch_netem: it takes the
 * packets an nftables `queue num Q` rule hands it (NFQUEUE, raw netlink, no library) and gives
 * each back (NF_ACCEPT) DELAY_US microseconds after it read it. Run it inside the namespace whose
 * rule queues the packets:
 *   netdelay QUEUE DELAY_US
 * It asks for SCHED_FIFO and spins while it holds a packet, so that the hold stays close to
 * DELAY_US on a busy machine (SCHED_FIFO is best effort: it goes on without it). On SIGTERM/SIGINT it prints, on stderr, how
 * many packets it held and how late it released them against DELAY_US (mean, max), then exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING 4096
static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void put_attr(char *buf, size_t *len, uint16_t type, const void *data, uint16_t size) {
  struct nlattr *a = (struct nlattr *)(buf + *len);
  a->nla_type = type;
  a->nla_len = NLA_HDRLEN + size;
  memcpy((char *)a + NLA_HDRLEN, data, size);
  *len += NLA_ALIGN(a->nla_len);
}

/** Sends one nfnetlink queue message with one attribute; 0 or -errno (from the kernel's ack if asked). */
static int send_msg(int fd, uint16_t queue, uint8_t type, uint16_t attr, const void *data, uint16_t size, int ack) {
  char buf[256];
  memset(buf, 0, sizeof buf);
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  h->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
  h->nlmsg_flags = NLM_F_REQUEST | (ack ? NLM_F_ACK : 0);
  struct nfgenmsg *g = (struct nfgenmsg *)NLMSG_DATA(h);
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(queue);
  size_t len = NLMSG_LENGTH(sizeof *g);
  put_attr(buf, &len, attr, data, size);
  h->nlmsg_len = len;
  if (send(fd, buf, len, 0) < 0) return -errno;
  if (!ack) return 0;
  char r[1024];
  ssize_t n = recv(fd, r, sizeof r, 0);
  if (n < 0) return -errno;
  struct nlmsghdr *rh = (struct nlmsghdr *)r;
  if (rh->nlmsg_type == NLMSG_ERROR) return ((struct nlmsgerr *)NLMSG_DATA(rh))->error;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: netdelay QUEUE DELAY_US\n");
    return 2;
  }
  uint16_t queue = (uint16_t)atoi(argv[1]);
  int64_t delay = (int64_t)atoll(argv[2]) * 1000;
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  struct sched_param sp = {.sched_priority = 50};
  int fifo = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;

  int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
  if (fd < 0) { perror("netdelay: socket"); return 1; }
  int rcv = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  struct sockaddr_nl sn = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sn, sizeof sn) < 0) { perror("netdelay: bind"); return 1; }
  struct nfqnl_msg_config_cmd cmd = {.command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET)};
  int e = send_msg(fd, queue, NFQNL_MSG_CONFIG, NFQA_CFG_CMD, &cmd, sizeof cmd, 1);
  if (e) { fprintf(stderr, "netdelay: bind to queue %u: %s\n", queue, strerror(-e)); return 1; }
  struct nfqnl_msg_config_params params = {.copy_range = htonl(0), .copy_mode = NFQNL_COPY_META};
  e = send_msg(fd, queue, NFQNL_MSG_CONFIG, NFQA_CFG_PARAMS, &params, sizeof params, 1);
  if (e) { fprintf(stderr, "netdelay: queue params: %s\n", strerror(-e)); return 1; }
  printf("ready queue=%u delay_us=%lld sched_fifo=%d\n", queue, (long long)(delay / 1000), fifo);
  fflush(stdout);

  /* Held packets, in arrival order (a fixed delay releases them in that order too). */
  static uint32_t ids[RING];
  static int64_t due[RING];
  unsigned head = 0, tail = 0;
  long long held = 0, unheld = 0;
  int64_t late_sum = 0, late_max = 0;
  char buf[65536];
  while (!stop) {
    int64_t t = now_ns();
    while (head != tail && due[head % RING] <= t) {
      struct nfqnl_msg_verdict_hdr v = {.verdict = htonl(NF_ACCEPT), .id = ids[head % RING]};
      send_msg(fd, queue, NFQNL_MSG_VERDICT, NFQA_VERDICT_HDR, &v, sizeof v, 0);
      int64_t late = t - due[head % RING];
      late_sum += late;
      if (late > late_max) late_max = late;
      held++;
      head++;
      t = now_ns();
    }
    /* Nothing held: sleep until a packet comes. Something held: spin (reading the socket without
       blocking) until it is due — a timer wake-up is late by tens of microseconds here, and now
       and then by milliseconds; a spin of at most DELAY_US per packet is cheap at ping rates. */
    if (head == tail) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      if (poll(&p, 1, 200) <= 0 || !(p.revents & POLLIN)) continue;
    }
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    int64_t arrived = now_ns();
    if (n <= 0) continue;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if ((h->nlmsg_type & 0xff) != NFQNL_MSG_PACKET || (h->nlmsg_type >> 8) != NFNL_SUBSYS_QUEUE) continue;
      int alen = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(struct nfgenmsg));
      struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
      for (; alen >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= alen; alen -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
        if ((a->nla_type & NLA_TYPE_MASK) != NFQA_PACKET_HDR) continue;
        struct nfqnl_msg_packet_hdr *ph = (struct nfqnl_msg_packet_hdr *)((char *)a + NLA_HDRLEN);
        if (tail - head == RING) {
          /* Full: let it through at once rather than hold it (counted). */
          struct nfqnl_msg_verdict_hdr v = {.verdict = htonl(NF_ACCEPT), .id = ph->packet_id};
          send_msg(fd, queue, NFQNL_MSG_VERDICT, NFQA_VERDICT_HDR, &v, sizeof v, 0);
          unheld++;
          break;
        }
        ids[tail % RING] = ph->packet_id;
        due[tail % RING] = arrived + delay;
        tail++;
        break;
      }
    }
  }
  /* Whatever is still held goes now. */
  for (; head != tail; head++) {
    struct nfqnl_msg_verdict_hdr v = {.verdict = htonl(NF_ACCEPT), .id = ids[head % RING]};
    send_msg(fd, queue, NFQNL_MSG_VERDICT, NFQA_VERDICT_HDR, &v, sizeof v, 0);
  }
  fprintf(stderr, "held=%lld unheld=%lld late_mean_us=%.1f late_max_us=%.1f\n", held, unheld, held ? late_sum / 1e3 / held : 0.0, late_max / 1e3);
  return 0;
}

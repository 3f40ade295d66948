/**
 * Parsed records of the measurement tools. Each parser is pure and keeps what the tool said;
 * the raw text stays beside the record in the run folder, so every figure can be traced to
 * what the tool printed. A test that failed carries `error` (the tool's own words when it
 * gave some) and whatever it measured before failing.
 */

export interface RttSample {
  /** ICMP sequence number. */
  readonly seq: number;
  /** Receive time, Unix seconds (ping -D). */
  readonly t: number;
  /** Round-trip time, ms. */
  readonly rtt: number;
  /** A duplicate reply (ping's DUP!). */
  readonly dup?: true;
}

export interface PingResult {
  readonly tool: 'ping';
  readonly transmitted: number;
  /** Replies, duplicates not counted. */
  readonly received: number;
  readonly duplicates: number;
  readonly lossPercent: number;
  /** Replies that arrived after one with a higher sequence number. */
  readonly reordered: number;
  /** ICMP errors (unreachable, message too long …) ping reported. */
  readonly errors: number;
  readonly samples: readonly RttSample[];
  /** Bytes of each reply (payload + ICMP header), from the first reply. */
  readonly replyBytes?: number;
  /** ping's own summary line, for cross-checking. */
  readonly summary?: { readonly min: number; readonly avg: number; readonly max: number; readonly mdev: number };
  /** No summary was printed: the series was cut short. */
  readonly partial?: true;
  readonly error?: string;
}

/** One reporting interval of a throughput test. */
export interface ThroughputInterval {
  /** Seconds since the test started. */
  readonly start: number;
  readonly end: number;
  readonly bytes: number;
  readonly bitsPerSecond: number;
  /** TCP retransmits in the interval (iperf3, sender side). */
  readonly retransmits?: number;
  /** UDP: datagrams sent in the interval. */
  readonly packets?: number;
}

/** End figures of one side of a throughput test. */
export interface ThroughputTotal {
  readonly seconds: number;
  readonly bytes: number;
  readonly bitsPerSecond: number;
}

export interface UdpFigures {
  /** RFC 3550 interarrival jitter as the receiver computed it, ms. */
  readonly jitterMs: number;
  readonly lostPackets: number;
  readonly packets: number;
  readonly lostPercent: number;
  /** Datagrams that arrived out of order (iperf 2). */
  readonly outOfOrder?: number;
}

export interface ThroughputResult {
  readonly tool: 'iperf3' | 'iperf2';
  readonly protocol: 'tcp' | 'udp';
  /** The server sent (iperf3 -R): the data flowed from the server's host to the client's. */
  readonly reverse: boolean;
  readonly streams: number;
  readonly intervals: readonly ThroughputInterval[];
  readonly sent?: ThroughputTotal & { readonly retransmits?: number };
  readonly received?: ThroughputTotal;
  readonly udp?: UdpFigures;
  /** The tool's own CPU figures, % of one host's CPUs: `local` is the client's end. */
  readonly cpu?: { readonly local: number; readonly remote: number };
  readonly version?: string;
  readonly error?: string;
}

export interface NetperfResult {
  readonly tool: 'netperf';
  readonly test: 'TCP_STREAM' | 'UDP_STREAM' | 'TCP_RR' | string;
  /** In `units`: 10^6bits/s for streams, Trans/s for RR. */
  readonly throughput: number;
  readonly units: string;
  readonly elapsed: number;
  /** % CPU of each end (netperf -c -C), as netperf measured it. */
  readonly localCpu?: number;
  readonly remoteCpu?: number;
  /** Service demand (µs of CPU per KB or per transaction: `sdUnits`). */
  readonly localSd?: number;
  readonly remoteSd?: number;
  readonly sdUnits?: string;
  readonly transactionRate?: number;
  readonly meanLatencyUs?: number;
  readonly p99LatencyUs?: number;
  readonly error?: string;
}

/** CPU time of a host between two reads of /proc/stat. */
export interface CpuUsage {
  /** Busy share of all CPUs, 0–100. */
  readonly busyPercent: number;
  readonly userPercent: number;
  readonly systemPercent: number;
  /** Time spent in softirq (where much of a tunnel's packet work runs). */
  readonly softirqPercent: number;
  readonly cpus: number;
  readonly seconds: number;
}

// The workerd processes' CPU time, read from /proc: what the benchmarks divide by requests or
// messages (`bench-cpu.mjs`, `bench-delivery.mjs`).
import { readFileSync, readdirSync } from "node:fs";

/** The pids of the processes in process group `pgid` whose command is workerd. */
export function workerdPids(pgid) {
  const out = [];
  for (const d of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && readFileSync(`/proc/${d}/comm`, "utf8").trim() === "workerd") out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

/** CPU time of `pids` in ms (their threads summed; utime+stime as a fallback). */
export function cpuMs(pids) {
  let ns = 0;
  for (const pid of pids) {
    let tasks = [];
    try { tasks = readdirSync(`/proc/${pid}/task`); } catch { continue; }
    let sum = 0, ok = true;
    for (const tid of tasks) {
      try { sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]); } catch { ok = false; }
    }
    if (ok && sum > 0) {
      ns += sum;
    } else {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        ns += ((Number(f[11]) + Number(f[12])) / 100) * 1e9; // utime + stime, at USER_HZ 100
      } catch { /* gone */ }
    }
  }
  return ns / 1e6;
}

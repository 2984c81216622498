#!/usr/bin/env python3
"""Tables of bench/run.sh's trace-ab section (issue 16 item 5) from RUN/records.txt.

traced / control: trace's cost (both run at the same time, so both see the
same neighbours); sibling / control: what an untraced process of the traced
file pays; the A/A rows (nothing traced) are the noise floor.  Cost check
(item 4): the traced copy's extra CPU, its CPU minus its work priced at the
control's CPU per unit of work, against the probe CPU trace reported
(hits x (calibrated trap + measured BPF run time)).
"""
import sys
from collections import defaultdict


def records(path):
    for line in open(path):
        kv = dict(f.split('=', 1) for f in line.split() if '=' in f)
        yield kv


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def med(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[len(xs) // 2] if xs else None


def f(v, fmt='{:.3f}'):
    return fmt.format(v) if v is not None else 'n/a'


def main(run):
    recs = list(records(f'{run}/records.txt'))
    groups = defaultdict(dict)
    for r in recs:
        if r.get('section') == 'trace_ab':
            groups[(r['workload'], r['rep'])][r['mode']] = r
    out = ['### `trace` with default options, concurrent A/B (traced, untraced sibling of the same file, untraced copy)', '',
           '| workload | pair | load1 | traced / control | sibling / control | p99 traced / control | traced extra CPU s | probe CPU s reported | reported / extra | hits | events lost | hit cost µs (trap + BPF) | alarms, shed s |',
           '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|']
    for (w, rep), m in sorted(groups.items()):
        t, c, s = m.get('traced'), m.get('control'), m.get('sibling')
        if not t or not c:
            continue
        if w.startswith('service'):
            ratio = num(t.get('rps')) / num(c.get('rps')) if num(c.get('rps')) else None
            p99 = num(t.get('p99_ms')) / num(c.get('p99_ms')) if num(c.get('p99_ms')) else None
            work_t, work_c = num(t.get('requests')), num(c.get('requests'))
        else:
            ratio = num(t.get('rate')) / num(c.get('rate')) if num(c.get('rate')) else None
            p99 = None
            work_t, work_c = num(t.get('total')), num(c.get('total'))
        sib = num(s.get('rate')) / num(c.get('rate')) if s and num(c.get('rate')) else None
        extra = None
        if work_t and work_c and num(t.get('cpu_s')) is not None and num(c.get('cpu_s')):
            extra = num(t['cpu_s']) - work_t * num(c['cpu_s']) / work_c
        rep_cpu = num(t.get('t_probe_cpu_s'))
        rr = rep_cpu / extra if rep_cpu is not None and extra and extra > 0 else None
        hit = num(t.get('t_hit_us'))
        trap = num(t.get('t_trap_us'))
        out.append(f"| {w} | {rep} | {t.get('load1')} | **{f(ratio)}** | {f(sib)} | {f(p99)} | {f(extra, '{:.2f}')} | "
                   f"{f(rep_cpu, '{:.2f}')} | {f(rr, '{:.2f}')} | {t.get('t_hits', '')} | {t.get('t_lost', '')} | "
                   f"{f(hit, '{:.1f}')} ({f(trap, '{:.1f}')} + {f(hit - trap if hit is not None and trap is not None else None, '{:.1f}')}) | "
                   f"{t.get('t_alarms', '')}, {f(num(t.get('t_shed_s')), '{:.0f}')} |")
    leaks = [r for r in recs if r.get('section') == 'trace_leak']
    if leaks:
        out += ['', '| leak beside the churn | mode | named a leak after (s since attach, interim reports 1 s apart) | leak started at | window s (first) | rising span needed s | alarms, shed s |',
                '|---|---|---:|---:|---:|---:|---|']
        for r in sorted(leaks, key=lambda r: (r['tc'], r.get('mode', 'defaults'))):
            out.append(f"| {r['tc']} {r['variant']} | {r.get('mode', 'defaults')} | {r.get('found_after_s')} | 2 s | {r.get('window_s')} | "
                       f"{r.get('min_span_s', '')} | {r.get('t_alarms')}, {f(num(r.get('t_shed_s')), '{:.0f}')} |")
    print('\n'.join(out))


if __name__ == '__main__':
    main(sys.argv[1])

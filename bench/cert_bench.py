"""Certificate rendering speed, as ratios to a bare WeasyPrint render of one plain page.

    .venv/bin/python -m bench.cert_bench [--rounds 7] [--batch 100] [--processes N]

In one run it times (best and median of N, after a warm-up):
  plain  — WeasyPrint rendering "<p>Hello</p>" to a one-page PDF (the yardstick);
  single — one certificate, warm (template, CSS, fonts, QR, PDF/A-3b, font subsetting);
  batch  — 100 certificates in one PDF (one per page), as the batch print does: split over
           worker processes (CERT_RENDER_PROCESSES, default: CPUs up to 4), and for comparison
           in this process alone.
Targets from issue 6: single < 100 ms, batch < 2 s. The ratios make runs on different machines
comparable; the load average says how busy the machine was (the timings are wall-clock).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path


def _times(fn, rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--processes", type=int, default=0, help="render processes for the batch (0: auto)")
    args = parser.parse_args()

    from lms import create_app
    from lms.certificates import codes, fonts, parallel, pdf, render

    tmp = Path(tempfile.mkdtemp(prefix="cert-bench-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "INSTANCE_PATH": str(tmp),
                      "SECRET_KEY": "bench", "CERT_RENDER_PROCESSES": args.processes})
    names = ["王建国", "李秀英", "张志强", "刘丽华", "陈海燕", "杨国庆", "赵晓明", "黄春梅", "周卫东", "吴玉兰"]

    def page(i: int) -> render.Page:
        return render.Page(
            kind="course", holder_name=names[i % len(names)], org_name="机关第一党支部", issuer_name="示范单位机关党委",
            subject="《党政领导干部选拔任用工作条例》解读", year=2026, hours_text="3.5", required_hours_text="32",
            completed_on=date(2026, 3, 5), issued_on=date(2026, 3, 6), serial=f"2026-{i + 1:04d}", code=codes.new_code(),
        )

    print(f"load average before: {_load()}  ({len(os.sched_getaffinity(0))} CPUs)")
    print(f"HarfBuzz subsetting: {'yes' if render.harfbuzz_subset_available() else 'NO — expect ~5 s per certificate'}")
    rows = []
    with app.app_context():
        one = page(0)
        many = [page(i) for i in range(args.batch)]
        processes = parallel.processes_for(len(many))

        start = time.perf_counter()
        faces = fonts.ensure(render.font_dir())
        build = time.perf_counter() - start
        print(f"font subset: {len(fonts.charset(render.font_dir()))} characters, built in {build:.2f} s (first use; "
              f"{', '.join(f'{f.path.stat().st_size // 1024} KB' for f in faces)})")

        render.render_plain_page()  # warm-up: imports, fontconfig
        pdf.render_pdf([one])  # warm-up: template, CSS, CJK fonts
        start = time.perf_counter()
        pdf.render_pdf(many)  # warm-up: the worker processes start (once per process)
        first_batch = time.perf_counter() - start

        plain = _times(render.render_plain_page, max(args.rounds, 10))
        rows.append(("plain page (yardstick)", plain, len(render.render_plain_page()), ""))
        single = _times(lambda: pdf.render_pdf([one]), args.rounds)
        rows.append(("one certificate, warm", single, len(pdf.render_pdf([one])), "< 100 ms"))
        batch_rounds = max(3, args.rounds // 2)
        batch = _times(lambda: pdf.render_pdf(many), batch_rounds)
        rows.append((f"{args.batch} in one PDF, {processes} proc.", batch, len(pdf.render_pdf(many)), "< 2 s"))
        app.config["CERT_RENDER_PROCESSES"] = 1
        alone = _times(lambda: pdf.render_pdf(many), batch_rounds)
        rows.append((f"{args.batch} in one PDF, 1 proc.", alone, len(pdf.render_pdf(many)), "(comparison)"))
        parallel.shutdown()

    base = plain[0]
    print(f"{'scenario':<28}{'best':>10}{'median':>10}{'× plain':>9}{'size':>9}  target")
    for label, (best, median), size, target in rows:
        fmt = (lambda s: f"{s * 1000:>8.1f}ms") if best < 1 else (lambda s: f"{s:>9.2f}s")
        print(f"{label:<28}{fmt(best)}{fmt(median)}{best / base:>9.1f}{size / 1024:>7.0f}KB  {target}")
    print(f"(first {args.batch}-page batch, worker start-up included: {first_batch:.2f} s; "
          f"{batch[0] / args.batch * 1000:.1f} ms/page)")
    print(f"targets (best of run): single < 100 ms: {'yes' if single[0] < 0.1 else 'NO'}; "
          f"batch < 2 s: {'yes' if batch[0] < 2 else 'NO'}")
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()

"""Certificate rendering speed, as ratios to a bare WeasyPrint render of one plain page.

    .venv/bin/python -m bench.cert_bench [--rounds 5]

In one run it times (best of N, after a warm-up):
  plain  — WeasyPrint rendering "<p>Hello</p>" to a one-page PDF (the yardstick);
  single — one certificate, warm (template, CSS, fonts, QR, PDF/A-3b, font subsetting);
  batch  — 100 certificates in one PDF (one per page), as the batch print does.
Targets from issue 6: single < 100 ms, batch < 2 s; the ratios make runs on different machines
comparable.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path


def _best(fn, rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    from lms import create_app
    from lms.certificates import codes, render

    tmp = Path(tempfile.mkdtemp(prefix="cert-bench-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "INSTANCE_PATH": str(tmp), "SECRET_KEY": "bench"})
    names = ["王建国", "李秀英", "张志强", "刘丽华", "陈海燕", "杨国庆", "赵晓明", "黄春梅", "周卫东", "吴玉兰"]

    def page(i: int) -> render.Page:
        return render.Page(
            kind="course", holder_name=names[i % len(names)], org_name="机关第一党支部", issuer_name="示范单位机关党委",
            subject="《党政领导干部选拔任用工作条例》解读", year=2026, hours_text="3.5", required_hours_text="32",
            completed_on=date(2026, 3, 5), issued_on=date(2026, 3, 6), serial=f"2026-{i + 1:04d}", code=codes.new_code(),
        )

    with app.app_context():
        print(f"HarfBuzz subsetting: {'yes' if render.harfbuzz_subset_available() else 'NO — expect ~5 s per certificate'}")
        one = page(0)
        many = [page(i) for i in range(args.batch)]
        render.render_plain_page()  # warm-up: imports, fontconfig
        render.render_pdf([one])  # warm-up: template, CSS, CJK fonts
        plain, plain_med = _best(render.render_plain_page, max(args.rounds, 10))
        single, single_med = _best(lambda: render.render_pdf([one]), args.rounds)
        batch, batch_med = _best(lambda: render.render_pdf(many), max(2, args.rounds // 2))
        size = len(render.render_pdf(many))

    print(f"{'scenario':<28}{'best':>10}{'median':>10}{'× plain':>10}  target")
    print(f"{'plain page (yardstick)':<28}{plain * 1000:>8.1f}ms{plain_med * 1000:>8.1f}ms{1:>10.0f}")
    print(f"{'one certificate, warm':<28}{single * 1000:>8.1f}ms{single_med * 1000:>8.1f}ms{single / plain:>10.1f}  < 100 ms")
    print(f"{f'{args.batch} certificates, one PDF':<28}{batch:>9.2f}s{batch_med:>9.2f}s{batch / plain:>10.0f}  < 2 s"
          f"  ({size // 1024} KB, {batch / args.batch * 1000:.1f} ms/page)")


if __name__ == "__main__":
    main()

"""``repcap.common.progress``: one style of bar; a disabled bar is a silent no-op."""

from __future__ import annotations

from repcap.common.progress import DELAY_S, bar, counted, iterate, silent_tqdm_class


def test_a_disabled_bar_is_silent_and_accepts_everything(capsys):
    pbar = bar(10, "work", unit="cell", enabled=False, leave=True, initial=3)
    pbar.update(2)
    pbar.set_postfix(eps="0.1")
    pbar.close()
    assert list(iterate(range(4), "loop", enabled=False)) == [0, 1, 2, 3]
    silent = silent_tqdm_class()(total=5)
    silent.update(5)
    silent.close()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_bytes_are_scaled_and_counted(capsys):
    pbar = bar(None, "download", unit="B")
    assert pbar.unit_scale and pbar.unit_divisor == 1024 and pbar.delay == DELAY_S and not pbar.leave
    assert b"".join(counted([b"ab", b"cde"], pbar)) == b"abcde"
    assert pbar.n == 5
    pbar.close()
    rows = bar(7, "sweep", unit="cell", leave=True, initial=2)
    assert not rows.unit_scale and rows.leave and rows.n == 2 and rows.total == 7
    rows.close()
    capsys.readouterr()  # a fast bar prints nothing before DELAY_S; drop whatever tqdm wrote

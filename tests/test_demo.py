"""`newswatch demo` as a user runs it: a real process, a real database, alerts in the terminal."""

import sqlite3

from tests.conftest import newswatch


def test_demo_prints_alerts_and_fills_a_fresh_database(tmp_path):
    result = newswatch("demo", "--dir", str(tmp_path / "demo"), timeout=180)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("=== ALERT") == 3
    assert "NGOs urge Norway's oil fund to divest from Hikvision, Dahua" in out
    assert "海康威视被指在新疆项目中提供监控设备" in out
    assert "Rice farmer" not in out.split("Summary:")[0]  # Chen Dahua the farmer is not the company
    assert "serve" in out and "http://127.0.0.1:8001/" in out
    with sqlite3.connect(tmp_path / "demo" / "newswatch.db") as db:
        assert db.execute("select count(*) from articles").fetchone() == (5,)
        assert db.execute("select count(*) from alerts where status = 'sent'").fetchone() == (3,)
    # A second run starts from a fresh database and prints the same alerts again.
    again = newswatch("demo", "--dir", str(tmp_path / "demo"), timeout=180)
    assert again.stdout.count("=== ALERT") == 3

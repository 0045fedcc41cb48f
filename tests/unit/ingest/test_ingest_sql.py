"""SQL sources through SQLAlchemy (SQLite files built in the test)."""

from __future__ import annotations

import sqlite3

import pytest

from bizforge.errors import BizforgeError, DataError, UsageError
from bizforge.ingest import read
from bizforge.ingest.sql import safe_url


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table orders (id text, city text, total real)")
        conn.executemany(
            "insert into orders values (?, ?, ?)",
            [("007", "上海", 12.5), ("008", "北京", 99.0), ("009", "上海", 3.0)],
        )
        conn.execute("create table empty_table (a int)")
    conn.close()
    return path


def test_table_is_read(shop):
    ds = read(f"sqlite:///{shop}", table="orders")
    assert ds.meta["format"] == "sql"
    assert ds.frame["city"].tolist() == ["上海", "北京", "上海"]
    assert ds.frame["id"].tolist() == ["007", "008", "009"]
    assert ds.frame["total"].tolist() == [12.5, 99.0, 3.0]


def test_query_is_read(shop):
    ds = read(f"sqlite:///{shop}", query="select city, total from orders where total > 10")
    assert list(ds.frame.columns) == ["city", "total"]
    assert len(ds.frame) == 2


def test_query_with_colon_in_literal_is_sent_as_written(shop):
    ds = read(f"sqlite:///{shop}", query="select id, '12:30' as t from orders")
    assert ds.frame["t"].tolist() == ["12:30"] * 3


def test_sqlite_file_path_is_read_as_database(shop):
    assert len(read(shop, table="orders").frame) == 3


def test_failing_query_gives_the_database_message(shop):
    with pytest.raises(DataError) as info:
        read(f"sqlite:///{shop}", query="select nope from orders")
    assert "no such column: nope" in str(info.value)
    assert info.value.fix


def test_write_query_is_refused_and_database_unchanged(shop):
    before = shop.read_bytes()
    with pytest.raises(BizforgeError):
        read(f"sqlite:///{shop}", query="delete from orders")
    assert shop.read_bytes() == before


def test_missing_table_lists_tables(shop):
    with pytest.raises(DataError, match="orders") as info:
        read(f"sqlite:///{shop}", table="order")
    assert "empty_table" in str(info.value)


def test_neither_table_nor_query_is_a_usage_error_listing_tables(shop):
    with pytest.raises(UsageError) as info:
        read(f"sqlite:///{shop}")
    assert "empty_table, orders" in str(info.value)


def test_table_and_query_together_is_a_usage_error(shop):
    with pytest.raises(UsageError, match="not both"):
        read(f"sqlite:///{shop}", table="orders", query="select 1")


def test_missing_sqlite_file_is_not_created(tmp_path):
    path = tmp_path / "nope.db"
    with pytest.raises(DataError, match="does not exist"):
        read(f"sqlite:///{path}", table="t")
    assert not path.exists()


def test_password_never_appears_in_errors():
    with pytest.raises(BizforgeError) as info:
        read("postgresql://ana:s3cretPW@127.0.0.1:1/sales", table="t")
    assert "s3cretPW" not in str(info.value)


def test_safe_url_hides_password():
    assert safe_url("mysql+pymysql://bo:pw123@db/x") == "mysql+pymysql://bo:***@db/x"

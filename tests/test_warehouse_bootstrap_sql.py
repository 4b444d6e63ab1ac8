"""The warehouse bootstrap SQL, run for real: twice against a throwaway PostgreSQL cluster that
emulates RDS (``rds_iam``, a non-superuser master with CREATEROLE), then checked as each user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from postgres_server import MASTER, Server, server

from components.warehouse.migration import postgres_bootstrap_sql, redshift_bootstrap_sql
from components.warehouse.migration_settings import DatabaseUser

WRITER = DatabaseUser(name="stream_consumer", access="write", schemas=["events"], service="stream-consumer")
READER = DatabaseUser(name="batch_worker_ro", access="read", schemas=["events"], service="batch-worker")


@pytest.fixture(scope="module")
def pg() -> Iterator[Server]:
    yield from server()


def _bootstrap(pg: Server, users: list[DatabaseUser]) -> None:
    pg.psql(postgres_bootstrap_sql("warehouse", users))


def test_the_sql_runs_twice_and_each_user_gets_exactly_its_access_level(pg: Server) -> None:
    _bootstrap(pg, [WRITER, READER])
    _bootstrap(pg, [WRITER, READER])  # idempotent: the second run changes nothing and does not fail
    # The admin's DDL after the bootstrap: default privileges reach the new table.
    pg.psql("CREATE TABLE events.orders (id bigserial PRIMARY KEY, body text);")
    assert (
        pg.psql(
            "INSERT INTO events.orders (body) VALUES ('a'); SELECT count(*) FROM events.orders;",
            user="stream_consumer",
        ).strip()
        == "1"
    )
    assert (
        pg.psql(
            "UPDATE events.orders SET body = 'b'; DELETE FROM events.orders WHERE false;",
            user="stream_consumer",
            check=False,
        )
        == ""
    )
    assert pg.psql("SELECT count(*) FROM events.orders;", user="batch_worker_ro").strip() == "1"
    denied = pg.psql("INSERT INTO events.orders (body) VALUES ('x');", user="batch_worker_ro", check=False)
    assert "permission denied for table orders" in denied
    # Neither user may change the schema: DDL is the job's.
    for user in ("stream_consumer", "batch_worker_ro"):
        ddl = pg.psql("CREATE TABLE events.mine (id int);", user=user, check=False)
        assert "permission denied for schema events" in ddl
        public = pg.psql("CREATE TABLE public.mine (id int);", user=user, check=False)
        assert "permission denied for schema public" in public


def test_users_are_iam_only_logins_without_passwords(pg: Server) -> None:
    _bootstrap(pg, [WRITER, READER])
    rows = pg.psql(
        "SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreaterole, r.rolcreatedb, "
        "pg_has_role(r.rolname, 'rds_iam', 'MEMBER') FROM pg_roles r "
        "WHERE r.rolname IN ('stream_consumer', 'batch_worker_ro') ORDER BY 1;",
        user="postgres",
    )
    assert rows.split() == ["batch_worker_ro|t|f|f|f|t", "stream_consumer|t|f|f|f|t"]
    passwords = pg.psql(
        "SELECT count(*) FROM pg_authid WHERE rolname IN ('stream_consumer', 'batch_worker_ro') "
        "AND rolpassword IS NOT NULL;",
        user="postgres",
    )
    assert passwords.strip() == "0"


def test_a_changed_access_level_is_converged_not_added(pg: Server) -> None:
    flipped = DatabaseUser(name="flip_user", access="write", schemas=["events"])
    _bootstrap(pg, [WRITER, flipped])
    pg.psql("CREATE TABLE IF NOT EXISTS events.flips (id int);")
    assert pg.psql("INSERT INTO events.flips VALUES (1);", user="flip_user", check=False) == ""
    _bootstrap(pg, [WRITER, flipped.model_copy(update={"access": "read"})])
    denied = pg.psql("INSERT INTO events.flips VALUES (2);", user="flip_user", check=False)
    assert "permission denied for table flips" in denied
    assert pg.psql("SELECT count(*) FROM events.flips;", user="flip_user").strip() == "1"


def test_the_sql_is_all_or_nothing(pg: Server) -> None:
    """A failing statement rolls the whole run back (``--single-transaction`` with ON_ERROR_STOP)."""
    sql = postgres_bootstrap_sql(
        "warehouse", [DatabaseUser(name="half_made", access="read", schemas=["half"])]
    )
    failed = pg.psql(sql + "SELECT no_such_function();\n", check=False)
    assert failed.startswith("ERROR: ")
    assert pg.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'half_made';", user=MASTER).strip() == "0"


def test_the_postgres_sql_text() -> None:
    sql = postgres_bootstrap_sql("warehouse", [READER])
    assert 'GRANT rds_iam TO "batch_worker_ro";' in sql
    assert 'GRANT SELECT ON ALL TABLES IN SCHEMA "events" TO "batch_worker_ro";' in sql
    assert "INSERT" not in sql
    assert "PASSWORD NULL" in sql


def test_the_redshift_sql_makes_password_disabled_users_with_the_same_split() -> None:
    sql = redshift_bootstrap_sql("warehouse", [WRITER, READER])
    assert "EXECUTE 'CREATE USER ' || quote_ident(user_name) || ' PASSWORD DISABLE';" in sql
    assert "CALL dataplatform_ensure_user('stream_consumer');" in sql
    assert (
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "events" TO "stream_consumer";' in sql
    )
    assert 'GRANT SELECT ON ALL TABLES IN SCHEMA "events" TO "batch_worker_ro";' in sql
    assert "GRANT SELECT, INSERT" not in sql.split("-- batch_worker_ro")[1]
    assert "rds_iam" not in sql and "SEQUENCES" not in sql  # no such role or objects on Redshift

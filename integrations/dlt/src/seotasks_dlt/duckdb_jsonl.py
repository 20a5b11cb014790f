"""DuckDB's load of a JSON Lines file, read with the table's own column types.

dlt loads a JSON Lines file into DuckDB with ``INSERT ... SELECT * FROM read_json(file)``,
which lets DuckDB guess every column's type from the file. For a JSON column (``raw``)
DuckDB guesses one struct for the whole file, the union of every row's keys, and casts each
row to it: a Serpstat item loaded beside DataForSEO items gained DataForSEO's keys as nulls,
and the values of one key in different rows were cast to one type. ``raw`` is documented as
the vendor's item. Reading the file with the types the table declares keeps each JSON value
as it was written, and hands every other column to DuckDB already typed.

JSON Lines stays the file format of `seotasks_dlt.load`'s DuckDB file: dlt's default there
(INSERT statements) loads tasks 2 to 4 times slower (benchmarks/README.md).
"""

from __future__ import annotations

from dlt.common.destination import DestinationReference
from dlt.common.destination.client import LoadJob
from dlt.common.destination.typing import PreparedTableSchema
from dlt.common.storages.load_package import ParsedLoadJobFileName
from dlt.destinations.impl.duckdb.duck import DuckDbClient, DuckDbCopyJob
from dlt.destinations.impl.duckdb.factory import duckdb as duckdb_destination

__all__ = ["TypedJsonDuckdb"]

_JSON_LINES = ("jsonl", "typed-jsonl")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _TypedCopyJob(DuckDbCopyJob):
    """dlt's copy job, with ``read_json`` told each column's type instead of guessing."""

    def run(self) -> None:
        if ParsedLoadJobFileName.parse(self._file_path).file_format not in _JSON_LINES:
            super().run()
            return
        client = self._job_client
        table = self._load_table
        # Every column the table has: a column no row of this file holds reads as NULL
        # (dlt leaves None out of a row), like a key a row leaves out.
        types = ", ".join(
            f"{_literal(name)}: {_literal(client.type_mapper.to_destination_type(column, table))}"
            for name, column in table["columns"].items()
            if column.get("data_type") is not None
        )
        sql = client.sql_client
        sql.execute_sql(
            f"INSERT INTO {sql.make_qualified_table_name(self.load_table_name)} BY NAME "
            f"SELECT * FROM read_json({_literal(self._file_path)}, "
            f"format = 'newline_delimited', columns = {{{types}}})"
        )


class _TypedJsonClient(DuckDbClient):
    def create_load_job(
        self, table: PreparedTableSchema, file_path: str, load_id: str, restore: bool = False
    ) -> LoadJob:
        job = super().create_load_job(table, file_path, load_id, restore)
        return _TypedCopyJob(file_path) if isinstance(job, DuckDbCopyJob) else job


class TypedJsonDuckdb(duckdb_destination):
    """dlt's DuckDB destination whose JSON Lines loads keep JSON columns as written."""

    @property
    def destination_type(self) -> str:
        """dlt's own DuckDB: the type the pipeline's state records. Another type (this
        class's path) made dlt warn, on the first run after an upgrade and whenever a
        pipeline is opened by dlt's own tools, that the state's destination differs."""
        return DestinationReference.normalize_type("duckdb")

    @property
    def client_class(self) -> type[DuckDbClient]:
        return _TypedJsonClient

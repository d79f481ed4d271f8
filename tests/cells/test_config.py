import pytest
from django.core.exceptions import ImproperlyConfigured

from cells.config import parse_cells


def test_cells_are_parsed_by_name_in_the_order_given():
    cells = parse_cells("cell1=postgres://u:p@db1:5432/erp, cell2=postgres://db2/erp")
    assert list(cells) == ["cell1", "cell2"]
    assert cells["cell2"].url == "postgres://db2/erp"


def test_an_empty_setting_means_no_cells_beside_the_default():
    assert parse_cells("") == {}


def test_a_cell_url_is_printed_without_its_password():
    assert (
        parse_cells("cell1=postgres://erp:secret@db1:5432/erp")["cell1"].safe_url == "postgres://erp:***@db1:5432/erp"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("cell1", "is not name=postgres://"),
        ("default=postgres://db/erp", "must be lowercase"),
        ("Cell1=postgres://db/erp", "must be lowercase"),
        ("cell1=mysql://db/erp", "needs a postgres:// URL"),
        ("cell1=postgres://a/erp,cell1=postgres://b/erp", "named twice"),
    ],
)
def test_a_malformed_cells_setting_stops_the_process_with_one_line(value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_cells(value)


def test_behind_transaction_pooling_a_cells_connection_uses_no_server_side_cursors_or_prepared_statements(settings):
    from django.db import connection

    from cells.config import CellSpec, database_settings
    from erp.db_backend.base import DatabaseWrapper

    settings.DATABASE_POOL_MODE = "transaction"
    default = {**connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS": False}
    config = database_settings(CellSpec("east", "postgres://erp@db-east:6432/erp"), default)
    assert (config["HOST"], config["PORT"], config["DISABLE_SERVER_SIDE_CURSORS"]) == ("db-east", 6432, True)
    assert DatabaseWrapper(config, "default").get_connection_params()["prepare_threshold"] is None

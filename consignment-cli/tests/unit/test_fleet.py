"""vessel-cli's fleet table, and consignment-cli's commands beside its classic form."""

from click.testing import CliRunner

from consignment_cli.fleet import fleet_table
from consignment_cli.main import cli


def test_admins_see_used_out_of_total_and_customers_the_free_room():
    admin_view = {
        "id": "vessel002",
        "name": "Boaty McBoatface",
        "status": "at_sea",
        "voyage": 4,
        "containers_used": 12,
        "containers_free": 38,
        "weight_used": 9000,
        "weight_free": 31000,
    }
    customer_view = {"id": "v9", "name": "Tern", "status": "open", "voyage": 1, "containers_free": 3, "weight_free": 7}
    header, admin_row, customer_row = fleet_table([admin_view, customer_view])
    assert header.split() == ["ID", "NAME", "STATUS", "VOYAGE", "CONTAINERS", "WEIGHT"]
    assert admin_row.split() == ["vessel002", "Boaty", "McBoatface", "at_sea", "4", "12/50", "9000/40000"]
    assert customer_row.split() == ["v9", "Tern", "open", "1", "3", "free", "7", "free"]
    assert header.index("STATUS") == admin_row.index("at_sea") == customer_row.index("open")


def test_a_first_argument_that_is_no_command_is_the_file_to_book(tmp_path):
    missing = tmp_path / "nowhere.json"
    result = CliRunner().invoke(cli, [str(missing), "token"])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_commands_need_a_token():
    for args in (["list"], ["show", "c1"], ["track", "ABCD"], ["cancel", "c1"], ["deliver", "c1"]):
        result = CliRunner().invoke(cli, args, env={"SHIPPY_TOKEN": ""})
        assert result.exit_code == 2, args
        assert "no token" in result.output


def test_an_unknown_status_is_refused_by_name():
    result = CliRunner().invoke(cli, ["list", "--status", "lost"], env={"SHIPPY_TOKEN": "t"})
    assert result.exit_code == 2
    assert "'lost' is not one of" in result.output

"""``bpttscope``: open the dashboard (``streamlit run`` on our entry point)."""
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "streamlit_app.py"


def main(argv=None):
    """Extra arguments are passed to ``streamlit run`` (e.g. --server.port 8502)."""
    from streamlit.web import cli as stcli

    from dashboard import logdir_mode
    try:        # --logdir PATH: show a recorded run (bpttscope.torch.watch); see logdir_mode
        args = logdir_mode.from_command_line(sys.argv[1:] if argv is None else argv)
    except ValueError as err:
        print(f"bpttscope: {err}", file=sys.stderr)
        return 2
    # wherever the command is started from: static serving for the charts' plotly.js
    # (see dashboard/plotly_element.py); no full garbage collection after every run
    # (see dashboard/server.py); the light theme the charts are drawn for
    sys.argv = ["streamlit", "run", str(APP), "--server.enableStaticServing", "true",
                "--runner.postScriptGC", "false", "--theme.base", "light",
                *args]
    return stcli.main()


if __name__ == "__main__":
    sys.exit(main())

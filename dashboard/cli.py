"""``bpttscope``: open the dashboard (``streamlit run`` on our entry point)."""
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "streamlit_app.py"


def main(argv=None):
    """Extra arguments are passed to ``streamlit run`` (e.g. --server.port 8502).
    ``bpttscope serve ...`` serves a class on several processes (dashboard/serve.py)."""
    if (sys.argv[1:] if argv is None else argv)[:1] == ["serve"]:
        from dashboard import serve
        return serve.main((sys.argv[1:] if argv is None else argv)[1:])
    from streamlit.web import cli as stcli
    # wherever the command is started from: static serving for the charts' plotly.js
    # (see dashboard/plotly_element.py); no full garbage collection after every run
    # (see dashboard/server.py); the light theme the charts are drawn for
    sys.argv = ["streamlit", "run", str(APP), "--server.enableStaticServing", "true",
                "--runner.postScriptGC", "false", "--theme.base", "light",
                *(sys.argv[1:] if argv is None else argv)]
    return stcli.main()


if __name__ == "__main__":
    sys.exit(main())

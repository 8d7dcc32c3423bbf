"""python -m launcher {run,test,setup,train,check,lint,bench,review-export,retrain}: called by scripts/bootstrap.sh."""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

from launcher import model as model_mod
from launcher.servers import Assistant
from settings.launch import ROOT, LaunchSettings
from settings.read import SettingsError
from settings.read import value as setting
from settings.variables import CHROMIUM_PATH


def check() -> None:
    """Validate the hand-edited data files before anything uses them."""
    from settings.desk import hours_file
    from spacy_pipeline.build import PATTERNS_PATH, PatternError, read_patterns
    from toolkit.hours import HoursError, load_hours
    from toolkit.library import LibraryError, load_library

    try:
        library = load_library()
        read_patterns(PATTERNS_PATH)
        hours = load_hours(hours_file())
    except (LibraryError, PatternError, HoursError) as e:
        raise SystemExit(f"error: {e}") from e
    unknown = unknown_suggestion_intents(library)
    if unknown:
        raise SystemExit(f"error: invalid macro library {library.path}:\n" + "\n".join(f"  - {u}" for u in unknown))
    shown = library.path.relative_to(ROOT) if library.path.is_relative_to(ROOT) else library.path
    print(f"==> macro library is valid: {shown}")
    hours_path = hours.path.relative_to(ROOT) if hours.path and hours.path.is_relative_to(ROOT) else hours.path
    print(f"==> working hours are valid: {hours_path} ({hours.zone_name})")


def unknown_suggestion_intents(library, domain_path: Path = ROOT / "domain.yml") -> List[str]:
    """Macros whose ``suggest_for`` names an intent the domain does not have."""
    import yaml

    intents = set((yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}).get("intents") or [])
    return [
        f"macros.{macro.id}: suggest_for names the intent '{intent}', which {domain_path.name} does not have"
        for macro in library.macros.values()
        for intent in macro.suggest_for
        if intent not in intents
    ]


def build_spacy() -> None:
    from spacy_pipeline.build import OUTPUT_PATH, build

    built = build()
    print(f"==> spaCy pipeline {'built' if built else 'is current'}: {OUTPUT_PATH.relative_to(ROOT)}")


def install_widget() -> None:
    """The widget's one browser dependency (socket.io-client), from its lock file."""
    npm_ci(ROOT / "widget", "the chat widget's socket.io client")
    npm_ci(ROOT / "desk" / "charts", "the Insights page's chart library")


# rasa-webchat, another Rasa web client, for the browser test that embeds it on a second origin
WEBCHAT_CLIENT_DIR = ROOT / "tests" / "webchat-client"
# axe-core, the accessibility checker the browser tests inject into the widget and desk pages
AXE_DIR = ROOT / "tests" / "axe"


def install_test_clients() -> None:
    """What the tests need from npm (rasa-webchat, axe-core), each from its own lock file; only the test command."""
    npm_ci(WEBCHAT_CLIENT_DIR, "rasa-webchat for the browser tests")
    npm_ci(AXE_DIR, "axe-core for the accessibility tests")


def npm_ci(folder: Path, what: str) -> None:
    """``npm ci`` in ``folder`` from its package-lock.json, again only when the lock file changed."""
    lock = (folder / "package-lock.json").read_bytes()
    stamp = folder / "node_modules" / ".toolkit-installed"
    wanted = hashlib.sha256(lock).hexdigest()[:16]
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            f"error: npm is needed once to install {what}.\n"
            "Install Node.js with npm (Debian/Ubuntu: apt-get install nodejs npm), then run the command again."
        )
    print(f"==> installing {what} (npm ci)")
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts"]
    result = subprocess.run(command, cwd=folder)
    if result.returncode != 0:
        raise SystemExit(f"error: npm ci failed in {folder} (exit {result.returncode})")
    stamp.write_text(wanted + "\n")


def save_trusted_types() -> None:
    """skops' trusted type lists, saved for the Rasa server's start (rasa_runtime/trusted_types.py)."""
    from rasa_runtime import trusted_types

    if trusted_types.read() is not None:
        return
    # in a fresh process: this one must not import skops (and all of scikit-learn) for it
    result = subprocess.run([sys.executable, "-m", "rasa_runtime.trusted_types"], cwd=ROOT)
    if result.returncode != 0:
        print("note: skops' trusted types were not saved; the Rasa server builds them at each start")


def setup(force_train: bool = False):
    check()
    build_spacy()
    install_widget()
    save_trusted_types()
    return model_mod.ensure_model(force=force_train)


def find_chromium() -> str | None:
    """The chromium to drive: $CHROMIUM_PATH, or `chromium` on the PATH, or Debian's."""
    path = setting(CHROMIUM_PATH) or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).is_file() else None


def ensure_chromium() -> None:
    """The browser tests drive Debian's chromium; install it when it is missing."""
    path = find_chromium()
    if path:
        os.environ[CHROMIUM_PATH] = path
        return
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        print("==> installing chromium for the browser tests (apt-get)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for command in ([apt, "update", "-q"], [apt, "install", "-y", "-q", "chromium"]):
            if subprocess.run(command, env=env).returncode != 0:
                break
        if Path("/usr/bin/chromium").is_file():
            os.environ[CHROMIUM_PATH] = "/usr/bin/chromium"
            return
    raise SystemExit(
        "error: the browser tests need Chromium, and it is not installed.\n"
        "Install it (Debian/Ubuntu: sudo apt-get install chromium) or point "
        f"{CHROMIUM_PATH} at a chromium binary, then run the command again."
    )


def checked_settings():
    """The launcher's and the agent side's settings, checked before anything starts."""
    from settings.desk import DeskSettings
    from settings.insights import InsightsSettings
    from settings.review import ReviewSettings
    from toolkit.hours import HoursError, load_hours

    try:
        launch, desk = LaunchSettings.from_env(), DeskSettings.from_env()
        ReviewSettings.from_env(agents=desk.agents)  # ASSISTANT_REVIEWERS names agents
        InsightsSettings.from_env()  # checked now, read by the Rasa server
        load_hours(desk.hours_file)  # DESK_HOURS_FILE: read by both servers at each hand-over
        return launch, desk
    except (SettingsError, HoursError) as e:
        raise SystemExit(f"error: {e}") from e


def run() -> int:
    from launcher.trial import login_link, trial_agent

    settings, desk = checked_settings()
    trial = trial_agent(settings, desk)  # no agents set and bound to loopback: one local agent
    model = setup()
    assistant = Assistant(settings, model)
    stopping = False

    def on_signal(signum, frame):  # noqa: ARG001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print("==> starting the action server and the Rasa server")
    assistant.start()
    try:
        seconds = assistant.wait_until_ready()
        api_state = (
            "on, guarded by the operator token (header 'Authorization: Bearer <token>')"
            if settings.operator_token
            else "off (set RASA_OPERATOR_TOKEN to turn it on)"
        )
        agent_state = (
            f"{settings.rasa_url}/agent/ (agents: {', '.join(desk.agents)})"
            if desk.agents_enabled
            else "off (set ASSISTANT_AGENT_TOKENS='name:token ...' to turn it on)"
        )
        if trial:
            agent_state = (
                f"a local trial agent '{trial[0]}' (token kept in the state folder); log in with one click:\n"
                f"                       {login_link(settings, trial[1])}"
            )
        print(
            f"\nThe assistant is ready ({seconds:.1f} s).\n"
            f"  Chat page:           {settings.rasa_url}/chat/\n"
            f"  Chat over REST:      POST {settings.rasa_url}/webhooks/rest/webhook\n"
            f"                       (first POST {settings.rasa_url}/webhooks/rest/conversations "
            "for a conversation id: see README)\n"
            f"  Chat over socket.io: {settings.rasa_url}/socket.io/ (events user_uttered / bot_uttered)\n"
            f"  Rasa HTTP API:       {api_state}\n"
            f"  Agent page and API:  {agent_state}\n"
            f"  Hand-overs stored:   {settings.handover_db_url or settings.state_dir / 'handovers.db'}\n"
            "Press Ctrl-C to stop both servers.",
            flush=True,
        )
        while not stopping:
            for name, process in assistant.processes.items():
                if process.poll() is not None:
                    print(f"error: the {name} server stopped (exit {process.returncode})", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        print("\n==> stopping")
        return 0
    except (RuntimeError, TimeoutError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        assistant.stop()


# python -m <each>: ruff over the whole tree (ruff.toml), mypy over our packages (mypy.ini)
LINT_COMMANDS = (("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",))


def lint() -> int:
    """ruff and mypy, as configured in ruff.toml and mypy.ini."""
    worst = 0
    for args in LINT_COMMANDS:
        worst = max(worst, subprocess.call([sys.executable, "-m", *args], cwd=ROOT))
    return worst


def test(pytest_args: List[str]) -> int:
    setup()
    install_test_clients()
    ensure_chromium()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT, env=env)


def bench(bench_args: List[str]) -> int:
    """The side-by-side benchmark (``python -m bench``), after the set-up."""
    setup()
    return subprocess.call([sys.executable, "-m", "bench", *bench_args], cwd=ROOT)


def review_command(command: str) -> int:
    """``make review-export`` / ``make retrain`` (launcher/retrain.py); retrain exits 1 when the gate refuses."""
    from launcher import retrain as r
    from settings.review import ReviewSettings

    settings, desk = checked_settings()
    data_dir = ReviewSettings.from_env(agents=desk.agents).data_dir
    if command == "review-export":
        r.export(settings, data_dir)
        return 0
    check()
    build_spacy()
    return 0 if r.retrain_from_labels(settings, data_dir).verdict.promote else 1


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m launcher", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="set up, then start the assistant until Ctrl-C")
    test_parser = sub.add_parser("test", help="set up, then run the whole test suite")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed to pytest")
    sub.add_parser("setup", help="validate data, build the spaCy pipeline, train if needed")
    sub.add_parser("train", help="train the model even when one is current")
    sub.add_parser("check", help="validate the macro library and the entity patterns")
    sub.add_parser("lint", help="ruff check, ruff format --check and mypy")
    sub.add_parser("review-export", help="write the review inbox's labels to data/nlu/reviewed.yml")
    sub.add_parser("retrain", help="export, train a candidate, gate it, promote it when it is no worse")
    bench_parser = sub.add_parser(
        "bench", help="set up, then benchmark against the stock rasa init bot", add_help=False
    )
    bench_parser.add_argument("bench_args", nargs=argparse.REMAINDER, help="passed to python -m bench")
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command == "bench":  # options of python -m bench, e.g. --no-reference
        args.bench_args = unknown + args.bench_args
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    os.chdir(ROOT)
    # No phoning home from a support tool (and these machines reach no such host).
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.command == "run":
        return run()
    if args.command == "test":
        return test(args.pytest_args)
    if args.command == "bench":
        return bench(args.bench_args)
    if args.command in ("review-export", "retrain"):
        return review_command(args.command)
    if args.command == "setup":
        setup()
    elif args.command == "train":
        setup(force_train=True)
    elif args.command == "check":
        check()
    elif args.command == "lint":
        return lint()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The cluster path, end to end, on a real single-node Slurm on localhost.

A module-scoped fixture starts Slurm 22.05 from Debian packages with one fake GPU
(tests/cluster/setup_slurm.sh) and always stops exactly the daemons it started
(tests/cluster/stop_slurm.sh). The workflow (Snakefile, workflow/, conf/, src/, profiles/)
is copied into temporary directories and run there:

* ``test_tiny_study_on_slurm_matches_local_run``: ``--workflow-profile profiles/slurm`` runs the
  ``tiny`` study with the simulations going through ``sbatch`` as grouped jobs; the same study run
  locally (profiles/default) yields the same ``data/tiny/summary.nc`` data.
* ``test_gpu_backend_requests_a_gpu``: one ``simulate`` job with a GPU backend override is
  submitted with ``--gpus=1`` to the GPU partition (profiles/slurm-gpu).

Needs root and apt-get (it installs munge/slurmctld/slurmd when missing); skipped otherwise.
Every Snakemake run is wrapped in ``timeout -s KILL``: the slurm executor plugin can wait
forever (see docs/cluster.md), and SIGTERM does not end it.

Run:  .venv/bin/pytest -m slurm tests/test_slurm.py        (about 2-4 minutes)

The fast tests at the end (profile consistency) need no cluster.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .pipeline import copy_workflow, environment

REPO = Path(__file__).resolve().parents[1]
CLUSTER_SCRIPTS = REPO / "tests" / "cluster"
# Where the workflow is copied from (a helper may point this at another checkout).
# What a run needs besides the installed package; Snakefile is required, the rest if present.

STUDY = "tiny"
SUMMARY = Path("data") / STUDY / "summary.nc"
SIM_RULE = "simulate"
# Hydra overrides that select the GPU backend (conf/backend/cupy.yaml) and let it fall back to
# numpy where CuPy or a CUDA device is missing, as on the fake GPU here. The simulate rule then
# declares gpu=1 (workflow/rules/common.smk: uses_gpu), which the plugin turns into --gpus=1.
GPU_OVERRIDE = ["backend=cupy", "backend.fallback_to_cpu=true"]
SLURM_PROFILE = "slurm"
GPU_PROFILE = "slurm-gpu"  # profiles/slurm with simulate on partition "gpu"
LOCAL_PROFILE = "default"
GPU_PARTITION = "gpu"  # the fake cluster's GPU partition (setup_slurm.sh with FAKE_GPUS>0)
FAKE_GPUS = 1
SNAKEMAKE_TIMEOUT = 600  # seconds, per snakemake run (SIGKILL after that)
SETUP_TIMEOUT = 900  # a fresh machine runs apt-get update + install first


# --------------------------------------------------------------------------------------------
# cluster lifecycle
# --------------------------------------------------------------------------------------------
def cannot_run_slurm() -> str | None:
    """Why a local Slurm cannot be set up here (None if it can)."""
    if os.geteuid() != 0:
        return "needs root: tests/cluster/setup_slurm.sh installs and starts munge/slurmctld/slurmd"
    if shutil.which("apt-get") is None:
        return "needs apt-get (Debian/Ubuntu) to install Slurm"
    return None


def start_slurm(state_dir: Path, fake_gpus: int = FAKE_GPUS) -> str:
    """Run setup_slurm.sh into state_dir; return its output, fail the test with its logs."""
    env = {**os.environ, "FAKE_GPUS": str(fake_gpus)}
    proc = subprocess.run(
        ["timeout", "-s", "KILL", str(SETUP_TIMEOUT), "bash", str(CLUSTER_SCRIPTS / "setup_slurm.sh"), str(state_dir)],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.fail(f"setup_slurm.sh failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return proc.stdout


def stop_slurm(state_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["timeout", "-s", "KILL", "120", "bash", str(CLUSTER_SCRIPTS / "stop_slurm.sh"), str(state_dir)],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A running single-node Slurm (partitions debug and gpu, FAKE_GPUS fake GPUs).

    Daemons that were already running are reused and left running; the ones this fixture
    started are always stopped at teardown, even when setup or a test failed.
    """
    reason = cannot_run_slurm()
    if reason:
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("slurm-state")
    try:
        start_slurm(state)
        yield state
    finally:
        stop = stop_slurm(state)
        if stop.returncode != 0:
            print(f"stop_slurm.sh failed (rc={stop.returncode}):\n{stop.stdout}\n{stop.stderr}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# running the workflow
# --------------------------------------------------------------------------------------------


def config_args(overrides: list[str] | None = None) -> list[str]:
    """--config study=tiny ['overrides=[...]']; must come last on the command line."""
    args = ["--config", f"study={STUDY}"]
    if overrides:
        args.append(f"overrides={json.dumps(overrides)}")
    return args


def run_snakemake(workdir: Path, profile: str, *args: str, overrides=None, name: str = "run",
                  timeout: int = SNAKEMAKE_TIMEOUT) -> subprocess.CompletedProcess:
    """``snakemake --workflow-profile profiles/<profile> <args> --config study=tiny ...`` in workdir,
    killed after `timeout` s. Output (stdout+stderr) is returned and kept in workdir/<name>.log."""
    env = environment(workdir)  # the copy's sources win over an installed cisim
    cmd = [
        "timeout", "-s", "KILL", str(timeout),
        sys.executable, "-m", "snakemake",
        *args,
        "--workflow-profile", f"profiles/{profile}",
        *config_args(overrides),
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    (workdir / f"{name}.log").write_text(" ".join(cmd) + "\n\n" + proc.stdout)
    proc.timeout = timeout
    return proc


def check_ok(proc: subprocess.CompletedProcess, what: str) -> None:
    if proc.returncode != 0:
        timeout = getattr(proc, "timeout", SNAKEMAKE_TIMEOUT)
        why = f"killed after {timeout} s (hung?)" if proc.returncode in (-9, 137) else f"rc={proc.returncode}"
        tail = "\n".join(proc.stdout.splitlines()[-60:])
        pytest.fail(f"{what} failed: {why}\n--- last lines ---\n{tail}", pytrace=False)


# --------------------------------------------------------------------------------------------
# what went through Slurm
# --------------------------------------------------------------------------------------------
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)")
SBATCH_CALL = re.compile(r"sbatch call: (sbatch .*?)(?: --wrap=.*)?$", re.MULTILINE)


def submitted_jobs(log: str) -> dict[int, str]:
    """SLURM job id -> its log directory name (rule_<rule> or group_<group>_<rules>)."""
    jobs = {}
    for jobid, path in SUBMITTED.findall(log):
        parts = Path(path).parts
        i = parts.index("slurm_logs") if "slurm_logs" in parts else -3
        jobs[int(jobid)] = parts[i + 1]
    return jobs


def slurm_log_job_ids(workdir: Path) -> dict[int, str]:
    """Job ids from .snakemake/slurm_logs/<rule_x|group_y>/.../<jobid>.log (kept by the profile)."""
    root = workdir / ".snakemake" / "slurm_logs"
    return {int(p.stem): p.relative_to(root).parts[0] for p in root.rglob("*.log") if p.stem.isdigit()}


def is_sim(label: str) -> bool:
    """Is this log dir / sbatch --comment about simulate jobs? rule_simulate,
    rule_simulate_wildcards_..., or a group including simulate: group_sims_simulate (log dir),
    rule_sims_simulate (comment)."""
    return SIM_RULE in label.split("_wildcards_")[0].split("_")[1:]


def sbatch_comment(call: str) -> str:
    m = re.search(r"--comment (\S+)", call)
    return m.group(1) if m else ""


def sbatch_calls(log: str) -> list[str]:
    """sbatch command lines printed by the slurm plugin under --verbose (without --wrap)."""
    return [m.strip() for m in SBATCH_CALL.findall(log)]


def squeue_all() -> dict[int, dict[str, str]]:
    """Jobs slurmctld still knows (finished ones for MinJobAge=300 s): id -> name/comment/state."""
    out = subprocess.run(["squeue", "--states=all", "-h", "-o", "%i|%j|%k|%T|%P"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    jobs = {}
    for line in out.splitlines():
        jobid, name, comment, state, partition = line.split("|")
        if jobid.isdigit():
            jobs[int(jobid)] = {"name": name, "comment": comment, "state": state, "partition": partition}
    return jobs


def job_count(log: str, rule: str) -> int:
    """Jobs of `rule` in Snakemake's first "Job stats" table."""
    table = log[log.index("Job stats:"):]
    m = re.search(rf"^{re.escape(rule)}\s+(\d+)\s*$", table, re.MULTILINE)
    assert m, f"no {rule!r} in the job stats table:\n{table[:600]}"
    return int(m.group(1))


def expected_sim_submissions(workdir: Path, profile: str, n_sims: int) -> int:
    """Number of SLURM jobs the profile's grouping should make out of n_sims simulations."""
    conf = yaml.safe_load((workdir / "profiles" / profile / "config.yaml").read_text())
    group = (conf.get("groups") or {}).get(SIM_RULE)
    if group is None:
        return n_sims
    size = int((conf.get("group-components") or {}).get(group, 1))
    return math.ceil(n_sims / size)


def first_output_of(log: str, rule: str) -> str:
    """First output path of `rule` in a dry-run listing."""
    # group members are listed indented under "Group job <name> ..."
    m = re.search(rf"^[ \t]*(?:local)?rule {re.escape(rule)}:\n(?:[ \t]+.*\n)*?[ \t]+output: ([^,\n]+)", log, re.MULTILINE)
    assert m, f"no {rule!r} job in the dry run"
    return m.group(1).strip()


def summary_data(path: Path):
    import xarray as xr

    return xr.load_dataset(path).drop_attrs()


# --------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.slurm
def test_tiny_study_on_slurm_matches_local_run(slurm_cluster, tmp_path, tiny_study):
    import xarray as xr

    # the data of the study (its pages are local rules): allocations and simulations go through sbatch
    on_slurm = copy_workflow(tmp_path / "slurm", src=tiny_study)
    proc = run_snakemake(on_slurm, SLURM_PROFILE, "--verbose", "gather", name="slurm")
    check_ok(proc, f"snakemake --workflow-profile profiles/{SLURM_PROFILE} (log: {on_slurm}/slurm.log)")
    assert (on_slurm / SUMMARY).is_file()

    # the simulations went through sbatch, batched by the profile's group
    n_sims = job_count(proc.stdout, SIM_RULE)
    submitted = submitted_jobs(proc.stdout)
    sim_jobs = sorted(j for j, d in submitted.items() if is_sim(d))
    assert sim_jobs, f"no {SIM_RULE} job was submitted to Slurm: {submitted}"
    assert len(sim_jobs) == expected_sim_submissions(on_slurm, SLURM_PROFILE, n_sims), (n_sims, submitted)
    if n_sims > 1:
        assert len(sim_jobs) < n_sims, "simulations were not grouped"
    # ...and Slurm ran them: kept logs, and slurmctld's record (while it still has it)
    logged = slurm_log_job_ids(on_slurm)
    assert set(sim_jobs) <= set(logged), (sim_jobs, logged)
    known = squeue_all()
    for j in sim_jobs:
        if j in known:
            assert known[j]["state"] == "COMPLETED", known[j]
    assert any(j in known for j in sim_jobs) or not known, "Slurm has no record of the simulation jobs"

    # the same study run locally (the session's tiny study, same workflow files): same data
    xr.testing.assert_identical(summary_data(on_slurm / SUMMARY), summary_data(tiny_study / SUMMARY))


@pytest.mark.slow
@pytest.mark.slurm
def test_gpu_backend_requests_a_gpu(slurm_cluster, tmp_path):
    wd = copy_workflow(tmp_path / "gpu")
    dry = run_snakemake(wd, GPU_PROFILE, "--dry-run", "--until", SIM_RULE, overrides=GPU_OVERRIDE, name="dryrun")
    check_ok(dry, "dry run with the GPU override")
    target = first_output_of(dry.stdout, SIM_RULE)
    assert re.search(r"\bgpu=1\b", dry.stdout), f"{SIM_RULE} does not declare gpu=1 with {GPU_OVERRIDE}"

    proc = run_snakemake(wd, GPU_PROFILE, target, "--verbose", overrides=GPU_OVERRIDE, name="gpu")
    check_ok(proc, f"one {SIM_RULE} job with {GPU_OVERRIDE} (log: {wd}/gpu.log)")
    assert (wd / target).exists()

    calls = sbatch_calls(proc.stdout)
    sim_calls = [c for c in calls if is_sim(sbatch_comment(c))]
    assert sim_calls, f"no sbatch call for {SIM_RULE}:\n" + "\n".join(calls)
    for c in sim_calls:
        assert " --gpus=1" in c, c
        assert f" -p {GPU_PARTITION} " in f"{c} ", c
    for c in set(calls) - set(sim_calls):  # allocate etc. stay CPU-only
        assert "--gpus" not in c, c
    # Slurm scheduled it on the GPU partition
    submitted = submitted_jobs(proc.stdout)
    known = squeue_all()
    for j, d in submitted.items():
        if is_sim(d) and j in known:
            assert known[j]["state"] == "COMPLETED" and known[j]["partition"] == GPU_PARTITION, known[j]


# --------------------------------------------------------------------------------------------
# fast: profile consistency (no cluster needed)
# --------------------------------------------------------------------------------------------
def load_profile(name: str) -> dict:
    return yaml.safe_load((REPO / "profiles" / name / "config.yaml").read_text())


def test_default_profile_is_local():
    conf = load_profile(LOCAL_PROFILE)
    assert "executor" not in conf
    assert conf["set-threads"][SIM_RULE] == 1
    assert conf["keep-going"] is False and conf["rerun-incomplete"] is True


@pytest.mark.parametrize("name", [SLURM_PROFILE, GPU_PROFILE])
def test_slurm_profiles_avoid_the_sacct_hang(name):
    conf = load_profile(name)
    assert conf["executor"] == "slurm"
    assert conf["slurm-status-command"] == "squeue"
    # MinJobAge (300 s on the test cluster and by default) must stay >= 3 x this
    assert 3 * int(conf["slurm-init-seconds-before-status-checks"]) <= 300
    # group members run one after another in plugin 2.8 (#469): a wider group lies about runtime
    assert int(conf["cores"]) == 1
    assert "gpu" not in conf["set-resources"][SIM_RULE], "gpu comes from the rule (backend)"


def test_gpu_profile_is_the_slurm_profile_plus_a_gpu_partition():
    cpu, gpu = load_profile(SLURM_PROFILE), load_profile(GPU_PROFILE)
    assert gpu["set-resources"][SIM_RULE].pop("slurm_partition") == GPU_PARTITION
    for key in ("gpu_model", "constraint", "cpus_per_gpu"):
        gpu["set-resources"][SIM_RULE].pop(key, None)
        cpu["set-resources"][SIM_RULE].pop(key, None)
    assert gpu == cpu

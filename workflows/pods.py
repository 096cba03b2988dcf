"""How every step pod runs: image, security context, writable scratch space, Azure credentials.

The step programs run as `python -m workflows.steps <command>` in the platform-tools image.
Root file systems are read-only; `/work` (Terraform working copy) and `/tmp` (outputs Argo
collects) are emptyDir volumes. Request values reach a step only through the `IDP_REQUEST`
environment variable, never in a shell script's text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from hera.workflows import (
    Artifact,
    ConfigMapEnvFrom,
    Container,
    Env,
    Parameter,
    SecretEnv,
    SecretEnvFrom,
)
from hera.workflows import models as m

from idp.image import MODULES_ROOT, WEBHOOK_TOKEN_ENV
from idp.settings import Settings
from workflows.steps.errors import TERMINATION_LOG_ENV
from workflows.steps.request import REQUEST_ENV

STEP_COMMAND = ["python", "-m", "workflows.steps"]
MODULES_DIR = str(MODULES_ROOT)  # where the image puts the modules
WORK_DIR = "/work"
OUT_DIR = "/tmp/outputs"  # noqa: S108 - inside the pod, on its own emptyDir
INPUTS_DIR = "/tmp/inputs"  # noqa: S108 - inside the pod, on its own emptyDir
UID = 10001
PLATFORM_SECRET_MOUNT = "/var/run/secrets/platform"  # noqa: S105 - a mount path, no secret
# Kubernetes reads a container's termination message from this file; Argo makes it the node's
# message (`operator.go`, `inferFailedReason`), so a failed step says why in the Argo UI.
TERMINATION_LOG = "/dev/termination-log"
SCRATCH_VOLUMES = (("work", WORK_DIR), ("tmp", "/tmp"))  # noqa: S108 - a pod emptyDir


def pod_security_context() -> m.PodSecurityContext:
    return m.PodSecurityContext(
        run_as_non_root=True,
        run_as_user=UID,
        run_as_group=UID,
        fs_group=UID,
        seccomp_profile=m.SeccompProfile(type="RuntimeDefault"),
    )


def container_security_context() -> m.SecurityContext:
    return m.SecurityContext(
        allow_privilege_escalation=False,
        privileged=False,
        read_only_root_filesystem=True,
        run_as_non_root=True,
        capabilities=m.Capabilities(drop=["ALL"]),
    )


def volumes(settings: Settings) -> list[m.Volume]:
    """Scratch emptyDirs, plus the platform Secret when credentials come as files."""
    found = [m.Volume(name=name, empty_dir=m.EmptyDirVolumeSource()) for name, _ in SCRATCH_VOLUMES]
    if settings.azure_auth == "secret-volume":
        found.append(
            m.Volume(
                name="platform-secret",
                secret=m.SecretVolumeSource(
                    secret_name=settings.platform_secret, default_mode=0o440
                ),
            )
        )
    return found


def _mounts(settings: Settings) -> list[m.VolumeMount]:
    found = [m.VolumeMount(name=name, mount_path=path) for name, path in SCRATCH_VOLUMES]
    if settings.azure_auth == "secret-volume":
        found.append(
            m.VolumeMount(name="platform-secret", mount_path=PLATFORM_SECRET_MOUNT, read_only=True)
        )
    return found


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def step_environment(settings: Settings) -> dict[str, str]:
    """The settings a step reads, as the same IDP_* variables the CLI understands.

    Published once as a ConfigMap that every step pod takes with envFrom.
    """
    backend = settings.terraform_backend
    pairs = {
        "IDP_NAMESPACE": settings.namespace,
        "IDP_CATALOG": settings.catalog,
        "IDP_TERRAFORM_BACKEND__RESOURCE_GROUP": backend.resource_group,
        "IDP_TERRAFORM_BACKEND__STORAGE_ACCOUNT": backend.storage_account,
        "IDP_TERRAFORM_BACKEND__CONTAINER": backend.container,
        "IDP_TERRAFORM_BACKEND__BLOB_ENDPOINT": backend.blob_endpoint,
        "IDP_SUBSCRIPTION_ID": settings.subscription_id,
        "IDP_ENVIRONMENTS": json.dumps(
            {
                name: overrides.model_dump(mode="json", exclude_none=True)
                for name, overrides in sorted(settings.environments.items())
            },
            separators=(",", ":"),
        ),
        "IDP_ALLOWED_REGIONS": json.dumps(list(settings.allowed_regions), separators=(",", ":")),
        "IDP_AZURE_AUTH": settings.azure_auth,
        "IDP_AZURE_RESOURCE_MANAGER": settings.azure_resource_manager,
        "IDP_CALLBACK_URL": settings.callback_url,
        "IDP_ARGO_UI_URL": settings.argo_ui_url,
        "IDP_SMTP_HOST": settings.smtp_host,
        "IDP_SMTP_PORT": str(settings.smtp_port),
        "IDP_SMTP_FROM": settings.smtp_from,
        "IDP_APPROVERS": settings.approvers,
        "IDP_APPROVER_IDENTITY": settings.approver_identity,
        "IDP_POLICY_BLOCKING_SEVERITY": settings.policy_blocking_severity,
        "IDP_EXPIRY__MAX_TTL_HOURS": _json(settings.expiry.max_ttl_hours),
        "IDP_EXPIRY__WARN_HOURS": str(settings.expiry.warn_hours),
        "IDP_EXPIRY__APPROVAL_WAIVED": _json(list(settings.expiry.approval_waived)),
        "IDP_DRIFT__REMEDIATE": _json(list(settings.drift.remediate)),
        "IDP_DRIFT__MAX_STACKS": str(settings.drift.max_stacks),
        "IDP_WEBHOOK_SERVICE_URL": settings.webhook_url,
        "IDP_POLICY_BLOCKING_CHECKS": json.dumps(
            list(settings.policy_blocking_checks), separators=(",", ":")
        ),
        "IDP_PRICES_URL": settings.prices_url,
        "IDP_MAX_MONTHLY_COST": (
            "" if settings.max_monthly_cost is None else str(settings.max_monthly_cost)
        ),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "HOME": WORK_DIR,
    }
    if settings.azure_auth == "secret-volume":
        pairs["IDP_PLATFORM_SECRET_DIR"] = PLATFORM_SECRET_MOUNT
    return pairs


def stack_args(kind: str) -> list[str]:
    """The options of a step program that works on one of the kind's stacks: the module the
    image carries, the pod's scratch folder, where its outputs go."""
    return [
        "--kind",
        kind,
        "--module",
        f"{MODULES_DIR}/{kind}",
        "--work",
        WORK_DIR,
        "--out",
        OUT_DIR,
    ]


def step(
    name: str,
    args: list[str],
    settings: Settings,
    *,
    deadline_seconds: int,
    inputs: list[m.Parameter | Artifact] | None = None,
    outputs: list[Parameter | Artifact] | None = None,
    retry: bool = False,
    notify_secrets: bool = False,
    request_env: bool = True,
    extra_env: Sequence[Env | SecretEnv] = (),
    cpu: str = "100m",
    memory_mi: int = 256,
    mutex: str | None = None,
) -> Container:
    """A step pod running one sub-command of the step program with the platform's guards."""
    env_from: list[ConfigMapEnvFrom | SecretEnvFrom] = [
        ConfigMapEnvFrom(name=settings.step_settings_configmap)
    ]
    if settings.azure_auth == "secret-env":
        env_from.append(SecretEnvFrom(name=settings.platform_secret))
    return Container(
        name=name,
        image=settings.image,
        image_pull_policy=m.ImagePullPolicy.if_not_present,
        command=STEP_COMMAND,
        args=args,
        env=[
            *(
                [Env(name=REQUEST_ENV, value="{{workflow.parameters.request}}")]
                if request_env
                else []
            ),
            Env(name=TERMINATION_LOG_ENV, value=TERMINATION_LOG),
            *(_notify_secrets(settings) if notify_secrets else []),
            *extra_env,
        ],
        env_from=env_from,
        inputs=inputs or [],
        outputs=outputs or [],
        volume_mounts=_mounts(settings),
        security_context=container_security_context(),
        termination_message_path=TERMINATION_LOG,
        termination_message_policy="File",
        active_deadline_seconds=deadline_seconds,
        retry_strategy=read_retry() if retry else None,
        synchronization=m.Synchronization(mutexes=[m.Mutex(name=mutex)]) if mutex else None,
        resources=m.ResourceRequirements(
            requests={"cpu": m.Quantity(cpu), "memory": m.Quantity(f"{memory_mi}Mi")},
            limits={"memory": m.Quantity(f"{2 * memory_mi}Mi")},  # room for Terraform peaks
        ),
    )


NOTIFY_SECRET_KEYS = {
    "IDP_SMTP_USERNAME": "smtp-username",
    "IDP_SMTP_PASSWORD": "smtp-password",
    "IDP_CALLBACK_TOKEN": "callback-token",
}


def webhook_token(settings: Settings) -> SecretEnv:
    """The webhook's bearer token, for the steps that start runs (drift remediation, expiry)."""
    token = settings.webhook_token_secret
    return SecretEnv(name=WEBHOOK_TOKEN_ENV, secret_name=token.name, secret_key=token.key)


def _notify_secrets(settings: Settings) -> list[SecretEnv]:
    """Credentials of the notify step only, each optional, from the notify Secret."""
    return [
        SecretEnv(name=name, secret_name=settings.notify_secret, secret_key=key, optional=True)
        for name, key in NOTIFY_SECRET_KEYS.items()
    ]


def read_retry() -> m.RetryStrategy:
    """Retries for steps that change nothing: on Argo/Kubernetes errors (a pod deleted or
    evicted), never on a step's failure, which is final.

    No backoff: the controller waits out a backoff before it reads the retry policy
    (`operator.go`, `processNodeRetries`), so every failed plan and every exit handler that
    reports an unfulfilled outcome would end that much later, for a retry that never comes.
    No `maxDuration` either: the controller makes it every retried pod's deadline, counted
    from the first attempt's start (`processNodeRetries`; `workflowpod.go`, `getDeadline`).
    The limit bounds the attempts; each attempt keeps its template's activeDeadlineSeconds.
    """
    return m.RetryStrategy(limit=m.IntOrString(3), retry_policy="OnError")

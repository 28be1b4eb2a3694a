"""Which credential the environment selects, and what the user sees when it is incomplete."""

from __future__ import annotations

import pytest

from reconciler.api.connect import open_client
from reconciler.api.credentials import credentials_from_env
from reconciler.errors import CredentialError
from reconciler.secrets import redact
from reconciler.settings import Settings

BASE = {"AZURE_TENANT_ID": "tenant-1", "AZURE_CLIENT_ID": "client-1"}


def test_nothing_configured_is_none_and_open_client_names_what_is_missing() -> None:
    assert credentials_from_env({}) is None
    with pytest.raises(CredentialError) as info, open_client(Settings(), env={}):
        pass
    message = str(info.value)
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "id-token: write"):
        assert name in message


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        (
            {"AZURE_CLIENT_SECRET": "s3cret-value", "AZURE_CLIENT_CERTIFICATE_PATH": "/c.pem"},
            "secret",
        ),
        (
            {"AZURE_CLIENT_CERTIFICATE_PATH": "/c.pem", "AZURE_FEDERATED_TOKEN_FILE": "/t"},
            "certificate",
        ),
        (
            {"AZURE_FEDERATED_TOKEN_FILE": "/t", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x"},
            "federated-token-file",
        ),
        (
            {
                "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "rt-123456",
            },
            "github-oidc",
        ),
    ],
)
def test_precedence(env: dict[str, str], kind: str) -> None:
    creds = credentials_from_env({**BASE, **env})
    assert creds is not None and creds.kind == kind


def test_missing_tenant_is_named() -> None:
    with pytest.raises(
        CredentialError, match="AZURE_CLIENT_SECRET is set but AZURE_TENANT_ID missing"
    ):
        credentials_from_env({"AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s3cret-value"})


def test_ids_without_any_credential_are_explained() -> None:
    with pytest.raises(CredentialError, match="no credential is"):
        credentials_from_env(BASE)


def test_secrets_are_registered_and_kept_out_of_repr() -> None:
    env = {
        **BASE,
        "AZURE_CLIENT_SECRET": "very-secret-value",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token-xyz",
    }
    creds = credentials_from_env(env)
    assert "very-secret-value" not in repr(creds)
    assert redact("leak very-secret-value and request-token-xyz") == "leak *** and ***"


def test_endpoint_and_emulator_exclude_each_other() -> None:
    from reconciler.errors import SettingsError

    with (
        pytest.raises(SettingsError),
        open_client(Settings(), endpoint="https://x", emulator=True, env={}),
    ):
        pass

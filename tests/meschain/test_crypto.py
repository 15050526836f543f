"""Secrets at rest: AES-256-GCM with key ids, tamper detection, rotation, the model field."""

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import ExpressionWrapper, F, Value

from meschain import crypto
from meschain.fields import EncryptedTextField
from meschain.models import AuditLog

KEY_1 = crypto.generate_key()
KEY_2 = crypto.generate_key()
SECRET = "sk_live_Ünïcode-🔑-51HgT"


@pytest.fixture
def one_key(settings):
    settings.ENCRYPTION_KEYS = f"k1:{KEY_1}"


def _flip(token: str, index: int) -> str:
    version, kid, payload = token.split(":", 2)
    raw = bytearray(base64.b64decode(payload))
    raw[index] ^= 0x01
    return f"{version}:{kid}:{base64.b64encode(bytes(raw)).decode()}"


class TestEncryptDecrypt:
    def test_round_trip(self, one_key):
        token = crypto.encrypt(SECRET)

        assert token.startswith("v1:k1:")
        assert SECRET not in token
        assert crypto.decrypt(token) == SECRET
        assert crypto.key_id_of(token) == "k1"

    def test_same_plaintext_encrypts_differently_each_time(self, one_key):
        first, second = crypto.encrypt(SECRET), crypto.encrypt(SECRET)

        assert first != second
        assert crypto.decrypt(first) == crypto.decrypt(second) == SECRET

    def test_generated_keys_are_32_random_bytes(self):
        assert len(base64.b64decode(KEY_1)) == 32
        assert KEY_1 != KEY_2

    @pytest.mark.parametrize("index", [0, 12, -1])  # nonce, ciphertext, tag
    def test_tampering_is_detected(self, one_key, index):
        token = crypto.encrypt(SECRET)

        with pytest.raises(crypto.DecryptionError, match="could not be decrypted"):
            crypto.decrypt(_flip(token, index))

    def test_associated_data_binds_the_value_to_its_context(self, one_key):
        token = crypto.encrypt(SECRET, associated_data=b"account:1")

        assert crypto.decrypt(token, associated_data=b"account:1") == SECRET
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(token, associated_data=b"account:2")

    def test_value_from_an_unknown_key_is_refused(self, one_key):
        foreign = crypto.encrypt(SECRET).replace("v1:k1:", "v1:k9:")

        with pytest.raises(crypto.DecryptionError, match="No configured key 'k9'"):
            crypto.decrypt(foreign)

    def test_same_kid_with_a_different_key_is_refused(self, settings):
        settings.ENCRYPTION_KEYS = f"k1:{KEY_1}"
        token = crypto.encrypt(SECRET)
        settings.ENCRYPTION_KEYS = f"k1:{KEY_2}"

        with pytest.raises(crypto.DecryptionError, match="could not be decrypted"):
            crypto.decrypt(token)

    @pytest.mark.parametrize("token", ["", "plain text", "v1:k1:%%%not-base64%%%", "v2:k1:AAAA"])
    def test_malformed_values_are_refused(self, one_key, token):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(token)


class TestKeyRotation:
    def test_old_values_still_decrypt_and_new_values_use_the_new_key(self, settings):
        settings.ENCRYPTION_KEYS = f"k1:{KEY_1}"
        old = crypto.encrypt(SECRET)

        settings.ENCRYPTION_KEYS = f"k2:{KEY_2},k1:{KEY_1}"
        new = crypto.encrypt(SECRET)

        assert crypto.key_id_of(old) == "k1"
        assert crypto.key_id_of(new) == "k2"
        assert crypto.decrypt(old) == crypto.decrypt(new) == SECRET

    def test_retired_key_no_longer_decrypts(self, settings):
        settings.ENCRYPTION_KEYS = f"k1:{KEY_1}"
        old = crypto.encrypt(SECRET)
        settings.ENCRYPTION_KEYS = f"k2:{KEY_2}"

        with pytest.raises(crypto.DecryptionError, match="No configured key 'k1'"):
            crypto.decrypt(old)

    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("", "ENCRYPTION_KEYS lists no key."),
            pytest.param(KEY_1, "ENCRYPTION_KEYS entries must look like 'kid:base64key'.", id="key-without-id"),
            ("k1:not base64!", "ENCRYPTION_KEYS key 'k1' is not base64."),
            (f"k1:{base64.b64encode(b'short').decode()}", "ENCRYPTION_KEYS key 'k1' must be 32 bytes."),
        ],
    )
    def test_bad_key_configuration_is_refused(self, settings, spec, message):
        settings.ENCRYPTION_KEYS = spec

        with pytest.raises(ImproperlyConfigured) as excinfo:
            crypto.encrypt(SECRET)
        assert str(excinfo.value) == message


class TestEncryptedTextField:
    def test_prep_and_read_back(self, one_key):
        field = EncryptedTextField()

        stored = field.get_prep_value(SECRET)

        assert stored.startswith("v1:k1:")
        assert SECRET not in stored
        assert field.from_db_value(stored, None, connection) == SECRET

    @pytest.mark.parametrize("empty", [None, ""])
    def test_empty_values_stay_empty(self, one_key, empty):
        field = EncryptedTextField()

        assert field.get_prep_value(empty) == empty
        assert field.from_db_value(empty, None, connection) == empty

    def test_a_clear_text_value_in_the_database_is_an_error_not_a_silent_pass(self, one_key):
        with pytest.raises(crypto.DecryptionError):
            EncryptedTextField().from_db_value("plain secret", None, connection)

    @pytest.mark.django_db
    def test_database_holds_only_ciphertext(self, settings):
        """Written and read through the ORM with the field as the column type (an
        AuditLog text column stands in for a model with an encrypted field)."""
        settings.ENCRYPTION_KEYS = f"k2:{KEY_2},k1:{KEY_1}"
        row = AuditLog.objects.create(action="test.secret")

        AuditLog.objects.filter(pk=row.pk).update(
            object_repr=Value(SECRET, output_field=EncryptedTextField())
        )

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT object_repr FROM {AuditLog._meta.db_table} WHERE id = %s", [row.pk])
            (raw,) = cursor.fetchone()
        assert raw.startswith("v1:k2:")
        assert SECRET not in raw
        assert crypto.decrypt(raw) == SECRET
        read = (
            AuditLog.objects.filter(pk=row.pk)
            .annotate(secret=ExpressionWrapper(F("object_repr"), output_field=EncryptedTextField()))
            .values_list("secret", flat=True)
            .get()
        )
        assert read == SECRET

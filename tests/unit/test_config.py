import pytest

import config as config_module
from config import DevelopmentConfig, ProductionConfig, load_config

TestingConfig = config_module.TestingConfig
TestingConfig.__test__ = False


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db/x")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig()


def test_production_refuses_to_start_without_a_public_base_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db/x")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        ProductionConfig()


def test_development_links_follow_the_serving_host_unless_configured(monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("CERTIFIKATION_SERVER_URL", "http://127.0.0.1:5101")
    config = DevelopmentConfig()
    assert config.PUBLIC_BASE_URL == ""
    assert config.DEV_SERVER_URL == "http://127.0.0.1:5101"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://certs.example.org/")
    assert DevelopmentConfig().PUBLIC_BASE_URL == "https://certs.example.org"


def test_production_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://certs.example.org")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db/x")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("STORAGE_PATH", "/srv/files")
    config = load_config("production")
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db/x"
    assert config.REDIS_URL == "redis://cache:6379/0"
    assert config.STORAGE_PATH == "/srv/files"
    assert config.SESSION_COOKIE_SECURE is True


def test_rules_have_defaults_and_environment_overrides(monkeypatch):
    config = TestingConfig()
    assert config.CERT_PASS_PERCENT == 80
    assert config.QUIZ_RETRY_COOLDOWN_MIN == 30
    assert config.RENEWAL_WINDOW_DAYS == 30
    assert config.CERT_REMINDER_OFFSETS_DAYS == (30, 7)
    monkeypatch.setenv("CERT_PASS_PERCENT", "70")
    monkeypatch.setenv("QUIZ_RETRY_COOLDOWN_MIN", "15")
    monkeypatch.setenv("UPLOAD_MAX_FILE_MB", "2")
    config = TestingConfig()
    assert (config.CERT_PASS_PERCENT, config.QUIZ_RETRY_COOLDOWN_MIN) == (70, 15)
    assert config.UPLOAD_MAX_FILE_MB == 2


def test_malformed_numbers_are_reported(monkeypatch):
    monkeypatch.setenv("CERT_PASS_PERCENT", "eighty")
    with pytest.raises(RuntimeError, match="CERT_PASS_PERCENT"):
        TestingConfig()


def test_development_defaults_to_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    config = DevelopmentConfig()
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert "instance" in config.SQLALCHEMY_DATABASE_URI
    assert config.REDIS_URL is None

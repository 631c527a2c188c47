"""CertifiKation: the application factory."""

from __future__ import annotations

from flask import Flask

from config import Config, load_config


def create_app(config: str | Config | None = None) -> Flask:
    """Build the app for a configuration name ("development", "testing", "production") or
    object; None reads $CERTIFIKATION_ENV (default production)."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_object(load_config(config))

    from webapp import cli, htmx, jobs, storage, urls
    from webapp.access import init_login
    from webapp.errors import register_error_handlers
    from webapp.extensions import configure_engines, csrf, db, init_limiter, migrate
    from webapp.templating import init_templating

    db.init_app(app)
    configure_engines(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    init_limiter(app)
    init_login(app)
    storage.init_app(app)
    jobs.init_app(app)
    htmx.init_app(app)
    init_templating(app)
    urls.init_app(app)
    register_error_handlers(app)
    cli.register(app)

    from webapp.admin.views import bp as admin_bp
    from webapp.api.views import bp as api_bp
    from webapp.auth.views import bp as auth_bp
    from webapp.center.views import bp as center_bp
    from webapp.certificates.views import bp as certificates_bp
    from webapp.peer_review.views import bp as peer_review_bp
    from webapp.platform.views import bp as platform_bp
    from webapp.portfolio.views import bp as portfolio_bp
    from webapp.programmes.views import bp as programmes_bp
    from webapp.quiz.views import bp as quiz_bp
    from webapp.services import certificates  # noqa: F401  (registers the issuance hook)

    for blueprint in (
        auth_bp,
        center_bp,
        programmes_bp,
        quiz_bp,
        peer_review_bp,
        certificates_bp,
        portfolio_bp,
        admin_bp,
        api_bp,
        platform_bp,
    ):
        app.register_blueprint(blueprint)

    return app

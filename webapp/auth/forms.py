"""Forms of the login, forgot-password and set-password pages."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    # No syntax check here: a login only needs to match an existing account.
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class ForgotPasswordForm(FlaskForm):
    # No syntax check either: every address gets the same answer.
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])


class SetPasswordForm(FlaskForm):
    """A new password, twice (the rules are the service's: account_links.password_problems)."""

    password = PasswordField(
        "New password",
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )

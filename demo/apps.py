from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo worlds and the seed commands: the top floor, importing every app, imported by none."""

    name = "demo"
    verbose_name = "Demo"

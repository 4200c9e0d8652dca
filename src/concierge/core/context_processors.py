"""What every page's shell needs: the modules this user may open."""

from django.urls import NoReverseMatch, reverse

from concierge.core.modules import module_configs


def shell(request):
    user = getattr(request, "user", None)
    nav = []
    if user is not None:
        for config in module_configs():
            if not config.visible_to(user):
                continue
            try:
                url = reverse(config.nav_url_name)
            except NoReverseMatch:
                continue
            nav.append(
                {
                    "label": config.nav_title,
                    "url": url,
                    "icon": config.nav_icon,
                    "active": request.path.startswith(url),
                }
            )
    return {"module_nav": nav}

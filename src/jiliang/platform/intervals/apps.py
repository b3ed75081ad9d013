from django.utils.translation import gettext_lazy as _

from jiliang.platform.common.apps import MenuLink, PlatformApp


class IntervalsConfig(PlatformApp):
    name = "jiliang.platform.intervals"
    label = "intervals"
    verbose_name = _("校准间隔建议")
    url_prefix = "intervals/"
    api_prefix = "intervals"
    menu = (MenuLink("intervals", _("校准间隔建议"), "intervals:classes", "region"),)

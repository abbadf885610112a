"""Charts drawn with matplotlib (`core.ports.ChartRenderer`); imported only when drawing."""

from adapters.charts.growth import MatplotlibCharts

__all__ = ["MatplotlibCharts"]

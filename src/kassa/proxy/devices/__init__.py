"""Device drivers: one abstract class per device family, one subclass per transport.

Drivers are blocking (pyserial, sockets, python-escpos): the service calls them from a
worker thread, and each device object carries the one lock that serialises its use.
"""

"""The edge: nginx in front of gunicorn, refusing a flood of API requests before each one costs a Python request.

A refused request still costs gunicorn and Django about 1.5-2 ms of CPU (accept, parse, route, peek, answer), so a
tenant sending 10x its limit spends the neighbours' CPU even when every excess request is refused
(bench/noisy_neighbour.py). nginx's `limit_req` refuses them for a few microseconds each.

The edge applies the plan's quota (`TENANT_API_RATES`: rate and burst, the same leaky bucket as `access.ratelimit`)
per tenant host *and credential* (the Authorization header, else the session cookie, else the client address). Per
credential, because the edge cannot tell a real credential from a made-up one: keyed by host alone, anyone could
spend a tenant's edge budget with junk headers. The tenant-wide budget shared by all its users and keys stays with
the application (`access.ratelimit`), which also covers hosts the edge does not know yet.

Two more limits per tenant host and *client address*, so that made-up credentials (a new key each request) cannot
walk past the per-credential limit: API requests from one address at twice the plan's quota (a tenant's own traffic,
all its users behind one office address included, never exceeds its quota: the application's tenant-wide budget), and
sign-in POSTs (login form, tenant and operations admin, token endpoint) at `EDGE_SIGNIN_RATE` with a burst of
`EDGE_SIGNIN_BURST` per host and address, enough for a shift signing in at once, refused for microseconds past it
before a password is hashed or a worker is taken (bench/auth_flood.py).

The host -> plan map is written from the tenant registry (active tenants only) when the edge starts; `manage.py
edge_config` rewrites it and `nginx -s reload` applies it after tenants or plans change.

Behind a proxy that ends TLS (`EDGE_TRUSTED_PROXIES`: its addresses or networks), the edge takes the client address
from that proxy's X-Forwarded-For (nginx's realip: the per-address limits then count clients, not the proxy) and the
scheme from its X-Forwarded-Proto; from anyone else those headers are not believed. Without it (`make run`, the
tests), the edge faces the clients and the scheme is its own connection's.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from throttled.rate_limiter import quota_parser

from tenants.models import Domain, Tenant


@dataclass(frozen=True)
class EdgeRate:
    """One plan's quota as nginx writes it: "20r/s" or "1000r/m", and the burst."""

    rate: str
    burst: int
    interval: float  # seconds between two requests past the burst


def edge_rate(quota: str) -> EdgeRate:
    """nginx's rate for a quota of `TENANT_API_RATES` ("1000/min burst 20"); nginx counts per second or minute."""
    (parsed,) = quota_parser.parse(quota)  # one rule per plan, as access.ratelimit takes it
    limit, period = parsed.get_limit(), parsed.get_period_sec()
    if period == 1 or (period < 60 and limit % period == 0):
        rate = f"{limit // period}r/s"
    else:
        rate = f"{max(1, math.ceil(limit * 60 / period))}r/m"
    return EdgeRate(rate=rate, burst=parsed.burst, interval=period / limit)


# Per client address a tenant's API may take this many times its plan's quota (see the module's docstring).
ADDRESS_FACTOR = 2


def _scaled(rate: str, factor: int) -> str:
    """nginx's "20r/s" or "1000r/m" times `factor`."""
    count, unit = rate.split("r/")
    return f"{int(count) * factor}r/{unit}"


def hosts_by_plan() -> dict[str, list[str]]:
    """Every domain of every active tenant, by the tenant's plan."""
    hosts: dict[str, list[str]] = {plan: [] for plan in settings.TENANT_API_RATES}
    domains = Domain.objects.filter(tenant__status=Tenant.Status.ACTIVE).exclude(tenant__schema_name="public")
    for domain, plan in domains.order_by("domain").values_list("domain", "tenant__plan"):
        hosts.setdefault(plan, []).append(domain)
    return hosts


def nginx_config(*, listen: str, upstream: str, run_dir: Path, hosts: dict[str, list[str]] | None = None) -> str:
    """nginx.conf for an edge listening on `listen` and proxying to gunicorn at `upstream` ("127.0.0.1:8001")."""
    hosts = hosts_by_plan() if hosts is None else hosts
    rates = {plan: edge_rate(quota) for plan, quota in settings.TENANT_API_RATES.items()}
    retry_after = max(1, math.ceil(max(rate.interval for rate in rates.values())))
    host_lines = "\n".join(
        f"        {host} {plan};" for plan in rates for host in hosts.get(plan, []) if _safe_host(host)
    )
    key_maps = "\n".join(
        f'    map $edge_plan $edge_key_{plan} {{ {plan} "$host $edge_who"; default ""; }}\n'
        f"    limit_req_zone $edge_key_{plan} zone=edge_{plan}:10m rate={rate.rate};\n"
        f'    map $edge_plan $edge_addr_{plan} {{ {plan} "$host $binary_remote_addr"; default ""; }}\n'
        f"    limit_req_zone $edge_addr_{plan} zone=edge_addr_{plan}:10m rate={_scaled(rate.rate, ADDRESS_FACTOR)};"
        for plan, rate in rates.items()
    )
    # nginx lets one request through at the rate and `burst` more on top; the quota's burst counts them all.
    limits = "\n".join(
        f"            limit_req zone=edge_{plan} burst={max(rate.burst - 1, 0)} nodelay;\n"
        f"            limit_req zone=edge_addr_{plan} burst={max(rate.burst * ADDRESS_FACTOR - 1, 0)} nodelay;"
        for plan, rate in rates.items()
    )
    signin_limit = f"limit_req zone=edge_signin burst={settings.EDGE_SIGNIN_BURST} nodelay;"
    client = _client_lines(settings.EDGE_TRUSTED_PROXIES)
    proto = "$edge_proto" if client else "$scheme"
    detail = f"Request was throttled. Expected available in {retry_after} second{'' if retry_after == 1 else 's'}."
    return f"""# Written by tenants.edge (manage.py edge_config); rewritten when the edge starts.
worker_processes 1;
pid {run_dir}/nginx.pid;
error_log {run_dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {run_dir}/client_body;
    proxy_temp_path {run_dir}/proxy;
    fastcgi_temp_path {run_dir}/fastcgi;
    uwsgi_temp_path {run_dir}/uwsgi;
    scgi_temp_path {run_dir}/scgi;
    client_max_body_size 50m;
{client}
    # Whose requests: the credential they carry, else the client address (see tenants/edge.py).
    map $http_authorization $edge_credential {{
        "" $cookie_{settings.SESSION_COOKIE_NAME};
        default $http_authorization;
    }}
    map $edge_credential $edge_who {{ "" $binary_remote_addr; default $edge_credential; }}
    map $host $edge_plan {{
        hostnames;
        default "";
{host_lines}
    }}
{key_maps}
    # Sign-in POSTs per host and client address, on every host (the operations admin's too).
    map $request_method $edge_signin_key {{ POST "$host $binary_remote_addr"; default ""; }}
    limit_req_zone $edge_signin_key zone=edge_signin:10m rate={settings.EDGE_SIGNIN_RATE};
    limit_req_status 429;
    limit_req_log_level info;  # below error_log's level: no log line per refused request

    upstream erp_app {{ server {upstream}; }}
    server {{
        listen {listen};
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto {proto};
        location /api/ {{
{limits}
            error_page 429 = @throttled;
            proxy_pass http://erp_app;
        }}
        location = /api/v1/auth/token/ {{
{limits}
            {signin_limit}
            error_page 429 = @throttled;
            proxy_pass http://erp_app;
        }}
        location ~ ^/(accounts|admin)/login/$ {{
            {signin_limit}
            error_page 429 = @signin_throttled;
            proxy_pass http://erp_app;
        }}
        location / {{ proxy_pass http://erp_app; }}
        location @signin_throttled {{
            default_type text/plain;
            add_header Retry-After {retry_after} always;
            return 429 'Too many sign-in attempts from your network. Wait a few seconds and try again.';
        }}
        location @throttled {{
            default_type application/json;
            add_header Retry-After {retry_after} always;
            return 429 '{{"detail": "{detail}"}}';
        }}
    }}
}}
"""


def write_config(*, listen: str, upstream: str, run_dir: Path, hosts: dict[str, list[str]] | None = None) -> Path:
    """Write nginx.conf and the directories it names under `run_dir`; returns the file."""
    run_dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o755)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / name).mkdir(parents=True, exist_ok=True)
        (run_dir / name).chmod(0o1777)  # nginx's workers drop root and run as nobody
    path = run_dir / "nginx.conf"
    path.write_text(nginx_config(listen=listen, upstream=upstream, run_dir=run_dir, hosts=hosts))
    return path


def _client_lines(proxies: list[str]) -> str:
    """nginx lines for the client address and scheme a trusted proxy names ($edge_proto); none without one."""
    networks = [str(ipaddress.ip_network(proxy, strict=False)) for proxy in proxies]  # ValueError on a typo
    if not networks:
        return ""
    trusted = "".join(f"    set_real_ip_from {network};\n" for network in networks)
    geo = "".join(f"        {network} 1;\n" for network in networks)
    return (
        f"    # Behind the proxies that end TLS (EDGE_TRUSTED_PROXIES): the client and scheme they name.\n{trusted}"
        "    real_ip_header X-Forwarded-For;\n    real_ip_recursive on;\n"
        f"    geo $realip_remote_addr $edge_from_proxy {{\n        default 0;\n{geo}    }}\n"
        '    map "$edge_from_proxy $http_x_forwarded_proto" $edge_proto { "1 https" https; default $scheme; }\n'
    )


def _safe_host(host: str) -> bool:
    """A registry domain written into the config as is: letters, digits, dots, dashes only."""
    return bool(host) and all(ch.isalnum() or ch in ".-" for ch in host)

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Crawling;

/// <summary>Raised from the connect callback when every address of a host is in a refused range.</summary>
public sealed class BlockedAddressException(string message) : Exception(message);

/// <summary>An IP range in CIDR notation.</summary>
public sealed record IpNetwork(IPAddress Prefix, int Length, string Name)
{
    public static bool TryParse(string text, string name, out IpNetwork? network)
    {
        network = null;
        var parts = text.Trim().Split('/');
        if (parts.Length > 2 || !IPAddress.TryParse(parts[0], out var address))
        {
            return false;
        }

        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = max;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out length) || length < 0 || length > max))
        {
            return false;
        }

        network = new IpNetwork(address, length, name);
        return true;
    }

    public bool Contains(IPAddress address)
    {
        if (address.AddressFamily != Prefix.AddressFamily)
        {
            return false;
        }

        var a = address.GetAddressBytes();
        var p = Prefix.GetAddressBytes();
        var bits = Length;
        for (var i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            var mask = bits >= 8 ? 0xFF : (byte)(0xFF << (8 - bits));
            if ((a[i] & mask) != (p[i] & mask))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => $"{Prefix}/{Length}";
}

/// <summary>
/// The SSRF guard: refuses loopback, private, link-local, CGNAT, multicast, unspecified and reserved addresses (IPv4
/// and IPv6, IPv4-mapped and NAT64 forms unwrapped first) unless Crawler:AllowedNetworks names them. It judges the
/// addresses a name resolves to, at connect time, so a DNS answer that changes between check and connect gains nothing.
/// </summary>
public sealed class NetworkGuard
{
    private static readonly IpNetwork[] Refused =
    [
        Net("0.0.0.0/8", "unspecified"),
        Net("10.0.0.0/8", "private"),
        Net("100.64.0.0/10", "CGNAT"),
        Net("127.0.0.0/8", "loopback"),
        Net("169.254.0.0/16", "link-local"),
        Net("172.16.0.0/12", "private"),
        Net("192.0.0.0/24", "IETF protocol assignments"),
        Net("192.168.0.0/16", "private"),
        Net("198.18.0.0/15", "benchmarking"),
        Net("224.0.0.0/4", "multicast"),
        Net("240.0.0.0/4", "reserved"),
        Net("::/128", "unspecified"),
        Net("::1/128", "loopback"),
        Net("::/96", "IPv4-compatible"),
        Net("fc00::/7", "private (unique local)"),
        Net("fe80::/10", "link-local"),
        Net("fec0::/10", "site-local"),
        Net("ff00::/8", "multicast"),
    ];

    private static readonly IpNetwork Nat64 = Net("64:ff9b::/96", "NAT64");
    private readonly List<IpNetwork> _allowed = [];

    public NetworkGuard(IOptions<CrawlerOptions> options)
    {
        foreach (var text in options.Value.AllowedNetworks.Where(t => !string.IsNullOrWhiteSpace(t)))
        {
            if (!IpNetwork.TryParse(text, "allowed", out var network))
            {
                throw new InvalidOperationException($"Crawler:AllowedNetworks: '{text}' is not an IP address or CIDR range (e.g. 127.0.0.0/8)");
            }

            _allowed.Add(network!);
        }
    }

    private static IpNetwork Net(string cidr, string name) => IpNetwork.TryParse(cidr, name, out var n) ? n! : throw new ArgumentException(cidr);

    /// <summary>Null when the address may be contacted; otherwise why not.</summary>
    public string? Refusal(IPAddress address)
    {
        var plain = Unwrap(address);
        if (_allowed.Any(n => n.Contains(plain) || n.Contains(address)))
        {
            return null;
        }

        var refused = Refused.FirstOrDefault(n => n.Contains(plain));
        return refused is null ? null : $"address {plain} is {refused.Name} ({refused}) and not in Crawler:AllowedNetworks";
    }

    /// <summary>IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses are judged as the IPv4 address inside.</summary>
    internal static IPAddress Unwrap(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && Nat64.Contains(address))
        {
            return new IPAddress(address.GetAddressBytes()[12..]);
        }

        return address;
    }

    /// <summary>The host's addresses (a literal needs no lookup) split into usable ones and the first refusal.</summary>
    public async Task<(IReadOnlyList<IPAddress> Usable, string? Refusal)> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var literal = host.Trim('[', ']');
        var addresses = IPAddress.TryParse(literal, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var usable = new List<IPAddress>();
        string? refusal = null;
        foreach (var address in addresses)
        {
            if (Refusal(address) is { } why)
            {
                refusal ??= why;
            }
            else
            {
                usable.Add(address);
            }
        }

        return (usable, usable.Count == 0 ? refusal ?? $"host {host} has no address" : null);
    }

    /// <summary>For SocketsHttpHandler.ConnectCallback: connects to the first usable address, never to a refused one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var (usable, refusal) = await ResolveAsync(endpoint.Host, cancellationToken);
        if (usable.Count == 0)
        {
            throw new BlockedAddressException(refusal!);
        }

        Exception? last = null;
        foreach (var address in usable)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (Exception ex)
            {
                socket.Dispose();
                if (ex is not SocketException)
                {
                    throw;
                }

                last = ex;
            }
        }

        throw last!;
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Outbound;

/// <summary>
/// Which addresses the platform may contact: refuses loopback, private, link-local, CGNAT, multicast, unspecified,
/// documentation and reserved ranges (IPv4 and IPv6) unless Outbound:AllowedNetworks names them. An IPv6 address that
/// carries an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::a.b.c.d,
/// 6to4 2002:AABB:CCDD::) is judged by the IPv4 address inside too, so no notation smuggles a refused one through.
/// </summary>
public sealed class AddressPolicy
{
    public const string AllowedKey = OutboundOptions.Section + ":" + nameof(OutboundOptions.AllowedNetworks);

    private static readonly IpNetwork[] Refused =
    [
        IpNetwork.Parse("0.0.0.0/8", "unspecified"),
        IpNetwork.Parse("10.0.0.0/8", "private"),
        IpNetwork.Parse("100.64.0.0/10", "CGNAT"),
        IpNetwork.Parse("127.0.0.0/8", "loopback"),
        IpNetwork.Parse("169.254.0.0/16", "link-local"),
        IpNetwork.Parse("172.16.0.0/12", "private"),
        IpNetwork.Parse("192.0.0.0/24", "IETF protocol assignments"),
        IpNetwork.Parse("192.0.2.0/24", "documentation"),
        IpNetwork.Parse("192.88.99.0/24", "6to4 relay anycast"),
        IpNetwork.Parse("192.168.0.0/16", "private"),
        IpNetwork.Parse("198.18.0.0/15", "benchmarking"),
        IpNetwork.Parse("198.51.100.0/24", "documentation"),
        IpNetwork.Parse("203.0.113.0/24", "documentation"),
        IpNetwork.Parse("224.0.0.0/4", "multicast"),
        IpNetwork.Parse("240.0.0.0/4", "reserved"),
        IpNetwork.Parse("::/128", "unspecified"),
        IpNetwork.Parse("::1/128", "loopback"),
        IpNetwork.Parse("::/96", "IPv4-compatible"),
        // RFC 8215: a network's own translator, whose IPv4 side is whatever that network routes (often private).
        IpNetwork.Parse("64:ff9b:1::/48", "local-use NAT64"),
        IpNetwork.Parse("100::/64", "discard-only"),
        // Teredo hides its client's IPv4 address obfuscated in the low bits; nothing legitimate is fetched over it.
        IpNetwork.Parse("2001::/32", "Teredo"),
        IpNetwork.Parse("2001:db8::/32", "documentation"),
        IpNetwork.Parse("fc00::/7", "private (unique local)"),
        IpNetwork.Parse("fe80::/10", "link-local"),
        IpNetwork.Parse("fec0::/10", "site-local"),
        IpNetwork.Parse("ff00::/8", "multicast"),
    ];

    private static readonly IpNetwork Translated = IpNetwork.Parse("::ffff:0:0:0/96", "IPv4-translated");
    private static readonly IpNetwork Nat64 = IpNetwork.Parse("64:ff9b::/96", "NAT64");
    private static readonly IpNetwork SixToFour = IpNetwork.Parse("2002::/16", "6to4");

    private readonly List<IpNetwork> _allowed = [];

    public AddressPolicy(IOptions<OutboundOptions> options)
    {
        foreach (var text in options.Value.AllowedNetworks.Where(t => !string.IsNullOrWhiteSpace(t)))
        {
            _allowed.Add(IpNetwork.TryParse(text, "allowed", out var network)
                ? network!
                : throw new InvalidOperationException($"{AllowedKey}: '{text}' is not an IP address or CIDR range (e.g. 127.0.0.0/8)"));
        }
    }

    public IReadOnlyList<IpNetwork> Allowed => _allowed;

    /// <summary>Null when the address may be contacted; otherwise why not.</summary>
    public string? Refusal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            // The same destination as the IPv4 address on a dual-stack socket: judged (and allowed) exactly as that.
            address = address.MapToIPv4();
        }

        address = WithoutScope(address);
        if (_allowed.Any(n => n.Contains(address)))
        {
            return null;
        }

        if (Refused.FirstOrDefault(n => n.Contains(address)) is { } range)
        {
            return $"address {address} is {range.Name} ({range}) and not in {AllowedKey}";
        }

        if (Embedded(address) is not { } embedded)
        {
            return null;
        }

        var inner = Refused.FirstOrDefault(n => n.Contains(embedded.V4));
        return inner is null ? null : $"address {address} is {embedded.Form} of {embedded.V4}, which is {inner.Name} ({inner}), and not in {AllowedKey}";
    }

    /// <summary>The IPv4 address an IPv4-translated, NAT64 or 6to4 address carries, or null.</summary>
    internal static (IPAddress V4, string Form)? Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        var bytes = address.GetAddressBytes();
        if (Translated.Contains(address))
        {
            return (new IPAddress(bytes[12..]), "IPv4-translated (RFC 2765)");
        }

        if (Nat64.Contains(address))
        {
            return (new IPAddress(bytes[12..]), "NAT64 (RFC 6052)");
        }

        // RFC 3056: bits 16-47 are the IPv4 address of the site's 6to4 router.
        return SixToFour.Contains(address) ? (new IPAddress(bytes[2..6]), "6to4 (RFC 3056)") : null;
    }

    private static IPAddress WithoutScope(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;
}

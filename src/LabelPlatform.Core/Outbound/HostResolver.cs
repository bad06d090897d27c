using System.Net;

namespace LabelPlatform.Core.Outbound;

/// <summary>Turns a host name into addresses. Replaceable so tests can make a name answer what an attacker's DNS would.</summary>
public interface IHostResolver
{
    /// <exception cref="System.Net.Sockets.SocketException">The name does not resolve.</exception>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system resolver, except that "localhost" and "*.localhost" are loopback without asking it (RFC 6761 6.3).</summary>
public sealed class DnsHostResolver : IHostResolver
{
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var name = host.TrimEnd('.');
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return [IPAddress.Loopback, IPAddress.IPv6Loopback];
        }

        return await Dns.GetHostAddressesAsync(host, cancellationToken);
    }
}

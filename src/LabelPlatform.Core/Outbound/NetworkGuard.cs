using System.Net;
using System.Net.Sockets;

namespace LabelPlatform.Core.Outbound;

/// <summary>Raised from the connect callback when every address of a host is refused; no socket was opened.</summary>
public sealed class BlockedAddressException(string message) : Exception(message);

/// <summary>
/// The SSRF guard: judges the addresses a host resolves to with <see cref="AddressPolicy"/>, at connect time, so a DNS
/// answer that changes between an earlier check and the connect gains nothing; a refused address never gets a socket.
/// </summary>
public sealed class NetworkGuard(AddressPolicy policy, IHostResolver resolver)
{
    public AddressPolicy Policy => policy;

    /// <summary>Null when the address may be contacted; otherwise why not.</summary>
    public string? Refusal(IPAddress address) => policy.Refusal(address);

    /// <summary>The host's addresses (a literal needs no lookup) split into usable ones and the first refusal.</summary>
    /// <exception cref="SocketException">The name does not resolve.</exception>
    public async Task<(IReadOnlyList<IPAddress> Usable, string? Refusal)> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        // "[fe80::1%25eth0]" as a URI writes it: brackets off, the zone's percent-encoding undone.
        var literal = Uri.UnescapeDataString(host.Trim('[', ']'));
        var isLiteral = IPAddress.TryParse(literal, out var ip);
        if (!isLiteral && EndsInNumber(host))
        {
            // WHATWG URL: such a host is an IPv4 address or invalid. Resolvers differ in which spellings they read as
            // addresses (inet_aton takes "127.1"), so none is left to them.
            return ([], $"host {host} ends in a number but is not an IP address");
        }

        var addresses = isLiteral ? [ip!] : await resolver.ResolveAsync(host, cancellationToken);
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

    private static bool EndsInNumber(string host)
    {
        var last = host.TrimEnd('.').Split('.')[^1];
        return last.Length > 0 && (last.All(char.IsAsciiDigit)
            || (last.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && last[2..].All(char.IsAsciiHexDigit)));
    }

    /// <summary>For SocketsHttpHandler.ConnectCallback: connects to the first usable address, never to a refused one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        await ConnectAsync(context.DnsEndPoint, cancellationToken);

    public async Task<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
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

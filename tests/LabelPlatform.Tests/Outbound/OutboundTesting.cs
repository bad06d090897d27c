using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LabelPlatform.Core.Outbound;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Tests.Outbound;

/// <summary>The guarded fetcher built by hand, with the networks a test opens named explicitly.</summary>
public static class OutboundTesting
{
    public static OutboundOptions Options(params string[] allowed) => new() { AllowedNetworks = [.. allowed] };

    public static OutboundFetcher Fetcher(IHostResolver? resolver, params string[] allowed)
    {
        var options = Microsoft.Extensions.Options.Options.Create(Options(allowed));
        return new OutboundFetcher(new NetworkGuard(new AddressPolicy(options), resolver ?? new DnsHostResolver()), options);
    }

    public static FileDownloader Downloader(OutboundFetcher fetcher, params string[] allowed) =>
        new(fetcher, Microsoft.Extensions.Options.Options.Create(Options(allowed)));

    /// <summary>A plain GET through the fetcher that keeps up to 1 MB of the body.</summary>
    public static Task<FetchResult> GetAsync(OutboundFetcher fetcher, string url) =>
        fetcher.SendAsync(new Uri(url), new FetchRequest { Deadline = TimeSpan.FromSeconds(10) }, OutboundFetcher.ReadBody(1024 * 1024), CancellationToken.None);
}

/// <summary>Answers the names a test gives it (an attacker's DNS); other names go to the system resolver.</summary>
public sealed class MapResolver(Dictionary<string, Func<int, IPAddress[]>> names) : IHostResolver
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.OrdinalIgnoreCase);
    private readonly DnsHostResolver _system = new();

    public MapResolver(Dictionary<string, string[]> fixedNames)
        : this(fixedNames.ToDictionary(p => p.Key, p => (Func<int, IPAddress[]>)(_ => [.. p.Value.Select(IPAddress.Parse)]), StringComparer.OrdinalIgnoreCase))
    {
    }

    /// <summary>How often the name was asked for.</summary>
    public int Calls(string host) => _calls.GetValueOrDefault(host);

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var call = _calls.AddOrUpdate(host, 1, (_, n) => n + 1);
        return names.TryGetValue(host, out var answer) ? Task.FromResult(answer(call)) : _system.ResolveAsync(host, cancellationToken);
    }
}

/// <summary>
/// A loopback canary: listens on 127.0.0.1 and [::1] on one port and counts every TCP connection it accepts (a hit
/// needs no complete request). Whoever reaches it gets <see cref="Secret"/> in a 200 answer, which no error may show.
/// </summary>
public sealed class Canary : IAsyncDisposable
{
    public const string Secret = "canary-secret-body-5f0c2e";

    private readonly List<TcpListener> _listeners = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private int _hits;

    public int Port { get; private set; }
    public int Hits => Volatile.Read(ref _hits);

    public string Url(string host = "127.0.0.1", string path = "/steal") => $"http://{host}:{Port}{path}";

    public static Canary Start()
    {
        var canary = new Canary();
        var v4 = new TcpListener(IPAddress.Loopback, 0);
        v4.Start();
        canary.Port = ((IPEndPoint)v4.LocalEndpoint).Port;
        canary._listeners.Add(v4);
        if (Socket.OSSupportsIPv6)
        {
            try
            {
                var v6 = new TcpListener(IPAddress.IPv6Loopback, canary.Port);
                v6.Start();
                canary._listeners.Add(v6);
            }
            catch (SocketException)
            {
                // No ::1 here: nothing can reach the canary over IPv6 either.
            }
        }

        foreach (var listener in canary._listeners)
        {
            canary._loops.Add(canary.AcceptAsync(listener));
        }

        return canary;
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {Secret.Length}\r\nConnection: close\r\n\r\n{Secret}");
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var client = await listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _hits);
                var stream = client.GetStream();
                var buffer = new byte[4096];
                _ = await stream.ReadAsync(buffer, _stop.Token);
                await stream.WriteAsync(answer, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or SocketException)
            {
                // A client that hung up early was still a hit.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}

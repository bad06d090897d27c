using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Web.Hosting;

/// <summary>
/// Wrong passwords per client within a window. A client over the limit is refused before any account is looked at,
/// so the refusal says nothing about which e-mails exist, and it stops that client only: the account lockout that
/// failures from everywhere build up is passed by a correct password from a client with no failures, so nobody can
/// lock the admin out by guessing. Kept in memory: per web process, and forgotten on restart.
/// </summary>
public sealed class FailedSignIns(IOptions<SignInProtectionOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Failures> _byClient = new(StringComparer.Ordinal);

    private sealed record Failures(int Count, DateTimeOffset WindowStart);

    public int Count(string client)
    {
        if (!_byClient.TryGetValue(client, out var failures))
        {
            return 0;
        }

        if (clock.GetUtcNow() - failures.WindowStart >= options.Value.FailureWindow)
        {
            _byClient.TryRemove(KeyValuePair.Create(client, failures));
            return 0;
        }

        return failures.Count;
    }

    public bool IsBlocked(string client) => Count(client) >= options.Value.FailureLimit;

    public void Record(string client)
    {
        var now = clock.GetUtcNow();
        var window = options.Value.FailureWindow;
        _byClient.AddOrUpdate(client, _ => new Failures(1, now), (_, f) => now - f.WindowStart >= window ? new Failures(1, now) : f with { Count = f.Count + 1 });
        if (_byClient.Count > 100_000)
        {
            // Addresses are cheap for an attacker; forget expired windows rather than grow without bound.
            foreach (var (key, value) in _byClient)
            {
                if (now - value.WindowStart >= window)
                {
                    _byClient.TryRemove(KeyValuePair.Create(key, value));
                }
            }
        }
    }
}

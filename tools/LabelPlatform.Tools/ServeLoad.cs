using System.Diagnostics;
using System.Globalization;

namespace LabelPlatform.Tools;

/// <summary>One case's figures: requests answered per second, latency percentiles, failures.</summary>
internal sealed record LoadResult(string Case, int Clients, int Requests, int Errors, double Seconds, double P50, double P99, double Max, string? FirstError)
{
    public double PerSecond => Requests / Seconds;

    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"{Case,-44} clients {Clients,2} | {PerSecond,7:0.0} req/s | p50 {P50,7:0.0} ms | p99 {P99,7:0.0} ms | max {Max,7:0.0} ms | {Requests,6} ok | {Errors} errors{(FirstError is null ? "" : $" (first: {FirstError})")}");
}

/// <summary>Closed-loop load: N clients each send their next request as soon as the last one is answered, for a fixed time.</summary>
internal static class ServeLoad
{
    /// <summary>Nearest-rank percentile of sorted values (0 when there are none).</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <param name="send">Sends request number i of client c; returns null on success, else what went wrong.</param>
    public static async Task<LoadResult> RunAsync(string name, int clients, TimeSpan duration, Func<int, int, Task<string?>> send)
    {
        var latencies = new List<double>[clients];
        var errors = new int[clients];
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            latencies[c] = [];
            for (var i = 0; clock.Elapsed < duration; i++)
            {
                var started = Stopwatch.GetTimestamp();
                string? error;
                try
                {
                    error = await send(c, i);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
                {
                    error = ex.GetType().Name + ": " + ex.Message;
                }

                if (error is null)
                {
                    latencies[c].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                else
                {
                    errors[c]++;
                    Interlocked.CompareExchange(ref firstError, error, null);
                }
            }
        })));
        var seconds = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(name, clients, all.Length, errors.Sum(), seconds, Percentile(all, 0.50), Percentile(all, 0.99), all.Length == 0 ? 0 : all[^1], firstError);
    }
}

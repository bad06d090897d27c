using Microsoft.Extensions.Logging;
using HangfireLog = Hangfire.Logging;

namespace LabelPlatform.Jobs;

/// <summary>
/// Hangfire's log provider is process-global while logger factories belong to hosts. This one writes to its host's
/// factory and goes quiet once that host is disposed, instead of throwing ObjectDisposedException into whichever
/// host happens to log next (several hosts share a process in tests and in the CLI's benchmarks).
/// </summary>
internal sealed class HostLogProvider(ILoggerFactory factory) : HangfireLog.ILogProvider
{
    public HangfireLog.ILog GetLogger(string name) => new HostLog(factory, name);

    private sealed class HostLog(ILoggerFactory factory, string name) : HangfireLog.ILog
    {
        private ILogger? _logger;
        private bool _gone;

        public bool Log(HangfireLog.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            if (_gone)
            {
                return false;
            }

            try
            {
                var logger = _logger ??= factory.CreateLogger(name);
                var level = logLevel switch
                {
                    HangfireLog.LogLevel.Trace => LogLevel.Trace,
                    HangfireLog.LogLevel.Debug => LogLevel.Debug,
                    HangfireLog.LogLevel.Info => LogLevel.Information,
                    HangfireLog.LogLevel.Warn => LogLevel.Warning,
                    HangfireLog.LogLevel.Error => LogLevel.Error,
                    _ => LogLevel.Critical,
                };
                if (messageFunc is null)
                {
                    return logger.IsEnabled(level);
                }

                if (logger.IsEnabled(level))
                {
#pragma warning disable CA2254 // Hangfire hands over finished messages, not templates.
                    logger.Log(level, exception, messageFunc());
#pragma warning restore CA2254
                }

                return true;
            }
            catch (ObjectDisposedException)
            {
                _gone = true;
                return false;
            }
        }
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Settings;

/// <summary>
/// Runs every check registered with ValidateOnStart now, for processes that do not start a host before using their
/// services (the CLI) and for the web app before it touches the database. Returns the problems, one line per key.
/// </summary>
public static class StartupSettings
{
    /// <summary>Exit code of a process refused to start by its configuration (as for a wrong command-line value).</summary>
    public const int InvalidExitCode = 2;

    public static IReadOnlyList<string> Problems(IServiceProvider services)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
            return [];
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is OptionsValidationException))
        {
            return [.. e.InnerExceptions.Cast<OptionsValidationException>().SelectMany(i => i.Failures)];
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            // The binder's message: "Failed to convert configuration value 'x' at 'Jobs:LeaseDuration' to type 'System.TimeSpan'."
            var parts = System.Text.RegularExpressions.Regex.Match(e.Message, "value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'");
            return [parts.Success ? $"{parts.Groups["key"].Value} = {parts.Groups["value"].Value}: not a valid {parts.Groups["type"].Value.Replace("System.", "", StringComparison.Ordinal)}" : e.Message];
        }
    }

    /// <summary>Writes the problems to <paramref name="error"/> and says whether the process may go on.</summary>
    public static bool Check(IServiceProvider services, TextWriter error)
    {
        var problems = Problems(services);
        foreach (var problem in problems)
        {
            error.WriteLine($"error: invalid configuration: {problem}");
        }

        return problems.Count == 0;
    }
}

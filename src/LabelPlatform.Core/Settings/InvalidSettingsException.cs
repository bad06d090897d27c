namespace LabelPlatform.Core.Settings;

/// <summary>The configuration holds values out of range; each problem names its key. Processes exit with 2.</summary>
public sealed class InvalidSettingsException(IReadOnlyList<string> problems)
    : Exception("Invalid configuration: " + string.Join("; ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

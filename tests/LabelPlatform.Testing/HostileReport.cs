namespace LabelPlatform.Testing;

/// <summary>
/// The standing hostile-input suites write their counts (files tried, rejected, crashes, peak memory...) to
/// TestResults/hostile/&lt;suite&gt;.txt at the repository root, where the README's figures are read from.
/// </summary>
public static class HostileReport
{
    public static string Directory => Path.Combine(SharedPaths.RepoRoot, "TestResults", "hostile");

    public static string Write(string suite, IEnumerable<string> lines)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, suite + ".txt");
        File.WriteAllLines(path, [$"# {suite}, {DateTimeOffset.UtcNow:u}", .. lines]);
        return path;
    }
}

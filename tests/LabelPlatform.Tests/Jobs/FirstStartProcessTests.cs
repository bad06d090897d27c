using System.Diagnostics;
using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Jobs;

/// <summary>
/// README command 1 on a fresh data folder: the real web executable keeps its log quiet and ends its start-up output
/// with the sign-in URL and the generated admin password, where a newcomer sees them.
/// </summary>
[Collection(WorkerProcessCollection.Name)]
public class FirstStartProcessTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "labelplatform-tests", Guid.NewGuid().ToString("N"));
    private readonly TestDatabase? _database = TestDatabase.CreateIfPostgres();
    private readonly List<string> _stdout = [];
    private Process? _process;

    [Fact]
    public async Task First_start_ends_with_the_sign_in_url_and_the_generated_password_and_little_hangfire_chatter()
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "LabelPlatform.Web.dll")])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // No Identity:Admin:Password: the first start generates one, as for a newcomer.
        start.Environment["Storage__DataDirectory"] = _data;
        start.Environment["Urls"] = "http://127.0.0.1:0";
        start.Environment["Jobs__BackgroundNice"] = "0";
        foreach (var (key, value) in _database?.Settings ?? [])
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // A safety net for a loaded 2-core machine, not a speed target: the wait ends when the box's last line arrives.
        var shown = await Polling.WaitUntilAsync(() => Task.FromResult(Lines().Any(l => l.TrimStart().StartsWith('└'))), TimeSpan.FromSeconds(120));
        var lines = Lines();
        Assert.True(shown, "no sign-in box after 120 s; output:\n" + string.Join('\n', lines));
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        lines = Lines();

        var boxTop = lines.FindLastIndex(l => l.TrimStart().StartsWith('┌'));
        Assert.True(boxTop >= 0, string.Join('\n', lines));
        var tail = lines[boxTop..];
        Assert.True(tail.Count <= 16, "the box is not the last thing printed:\n" + string.Join('\n', tail));
        Assert.Contains(tail, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"Sign in at  http://127\.0\.0\.1:\d+/Account/Login"));
        var passwordLine = Assert.Single(tail, l => l.Contains("Password    ", StringComparison.Ordinal));
        var password = passwordLine.Split("Password    ")[1].Trim().TrimEnd('│').Trim();
        Assert.Equal(18, password.Length);
        // The box shows the password the seeder generated (and logged, earlier, where it scrolls away).
        Assert.Contains(lines[..boxTop], l => l.Contains($"generated password {password}", StringComparison.Ordinal));
        var hangfireInfo = lines.Count(l => l.StartsWith("info: Hangfire", StringComparison.Ordinal));
        Assert.True(hangfireInfo < 10, $"{hangfireInfo} Hangfire info lines:\n" + string.Join('\n', lines));
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_stdout)
        {
            _stdout.Add(line);
        }
    }

    private List<string> Lines()
    {
        lock (_stdout)
        {
            return [.. _stdout];
        }
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        _database?.Dispose();
        try
        {
            if (Directory.Exists(_data))
            {
                Directory.Delete(_data, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}

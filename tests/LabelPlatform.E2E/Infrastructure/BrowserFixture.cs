using Microsoft.Playwright;

namespace LabelPlatform.E2E.Infrastructure;

/// <summary>
/// One app server and one Chromium per test class (xunit class fixture); each test opens its own browser context,
/// so cookies never leak between tests while the expensive start-up happens once.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Overrides the browser binary (e.g. Chrome for Testing on a developer's machine).</summary>
    public const string ChromiumPathVariable = "CHROMIUM_PATH";
    public const string DefaultChromiumPath = "/usr/bin/chromium";

    /// <summary>The README's test command; it installs Debian's chromium first when it is missing.</summary>
    public const string TestCommand = "bash tests/run.sh";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public E2EServer Server { get; } = new();

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The fixture has not been initialised");

    public async Task InitializeAsync()
    {
        // Check the browser before starting anything: a missing browser is a broken setup, so it fails (never skips)
        // with the fix in the message.
        var executable = Environment.GetEnvironmentVariable(ChromiumPathVariable) is { Length: > 0 } overridden ? overridden : DefaultChromiumPath;
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"Chromium was not found at '{executable}'. The E2E tests drive the system Chromium (`playwright install` is not used): " +
                $"run the README's test command, `{TestCommand}` (it installs chromium with apt-get), or set {ChromiumPathVariable} to a Chromium binary.");
        }

        Server.Start();
        _playwright = await Playwright.CreateAsync();
        try
        {
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                // No sandbox: CI containers run as root without user namespaces. The rest keeps Chromium from
                // phoning home or updating itself, which the offline build machines cannot do anyway.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
        }
        catch (PlaywrightException ex)
        {
            throw new InvalidOperationException(
                $"Chromium at '{executable}' did not start ({ex.Message}). Reinstall it with the README's test command, `{TestCommand}`, " +
                $"or set {ChromiumPathVariable} to a working Chromium binary.", ex);
        }

        // Expectations (Expect(...).ToHaveTextAsync and friends) wait 5 s by default; match the page timeout below.
        Assertions.SetDefaultExpectTimeout(E2ETest.DefaultTimeoutMs);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await Server.DisposeAsync();
    }
}

using System.Runtime.CompilerServices;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace LabelPlatform.E2E.Infrastructure;

/// <summary>
/// Base for browser tests: a fresh browser context (own cookies) and page per test, fast-failing timeouts, and
/// <see cref="RunAsync"/>, which leaves a screenshot behind when a test fails.
/// </summary>
public abstract class E2ETest(BrowserFixture fixture, ITestOutputHelper output) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    /// <summary>Long enough for a slow 2-core CI box, short enough that a broken page fails in seconds, not minutes.</summary>
    public const float DefaultTimeoutMs = 15_000;

    private IBrowserContext? _context;
    private IPage? _page;

    protected E2EServer Server => fixture.Server;

    /// <summary>Shown with the test result: screenshot paths and other hints for whoever reads a failure.</summary>
    protected ITestOutputHelper Output => output;

    protected IPage Page => _page ?? throw new InvalidOperationException("The test has not been initialised");

    /// <summary>Uncaught script errors on the page (e.g. a broken jobs.js); tests assert there are none.</summary>
    protected List<string> PageErrors { get; } = [];

    public async Task InitializeAsync()
    {
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            Locale = "en-US",
        });
        _context.SetDefaultTimeout(DefaultTimeoutMs);
        _context.SetDefaultNavigationTimeout(DefaultTimeoutMs);
        // Recorded for every test, written only when one fails: the DOM at each step, network and console, for
        // `playwright show-trace` (or trace.playwright.dev) when the screenshot alone does not explain a failure.
        await _context.Tracing.StartAsync(new TracingStartOptions { Snapshots = true, Sources = false, Screenshots = false });
        _page = await _context.NewPageAsync();
        _page.PageError += (_, error) => PageErrors.Add(error);
    }

    public async Task DisposeAsync()
    {
        if (_context is not null)
        {
            await _context.DisposeAsync();
        }
    }

    /// <summary>
    /// Runs a test body; on failure saves a full-page screenshot named after the test, then rethrows so the test
    /// still fails with its own message.
    /// </summary>
    protected async Task RunAsync(Func<Task> body, [CallerMemberName] string testName = "")
    {
        try
        {
            await body();
        }
        catch (Exception)
        {
            await TryScreenshotAsync(testName);
            await TryKeepTraceAsync(testName);
            throw;
        }

        await TryDiscardTraceAsync();
    }

    /// <summary>Screenshot kept on success too, for people to look at the pages.</summary>
    protected async Task<string> ScreenshotAsync(string name)
    {
        var path = await Artifacts.ScreenshotAsync(Page, name);
        output.WriteLine($"Screenshot: {path}");
        return path;
    }

    private async Task TryKeepTraceAsync(string testName)
    {
        try
        {
            var path = Artifacts.TracePath(GetType().Name + "." + testName);
            await _context!.Tracing.StopAsync(new TracingStopOptions { Path = path });
            output.WriteLine($"Trace of the failed test: {path} (open with `pwsh bin/Debug/net10.0/playwright.ps1 show-trace {path}` or trace.playwright.dev)");
        }
        catch (PlaywrightException ex)
        {
            output.WriteLine($"No trace for {testName}: {ex.Message}");
        }
    }

    private async Task TryDiscardTraceAsync()
    {
        try
        {
            await _context!.Tracing.StopAsync();
        }
        catch (PlaywrightException)
        {
            // A context a test closed itself has no trace to stop; nothing to keep either way.
        }
    }

    private async Task TryScreenshotAsync(string testName)
    {
        try
        {
            var path = await Artifacts.ScreenshotAsync(Page, GetType().Name + "." + testName);
            output.WriteLine($"Screenshot of the failed test: {path}");
        }
        catch (PlaywrightException ex)
        {
            // The page may be gone (browser crash); the test's own exception matters more than the picture.
            output.WriteLine($"No screenshot for {testName}: {ex.Message}");
        }
    }
}

using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Labelling;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>
/// The labelling page's keyboard model and feedback (issue 13, defects 1, 3 and 4): typing a class name only
/// filters; every action is said on screen and can be undone from the log; an undo pressed while the next image
/// loads keeps the undone image; "?" lists every key.
/// </summary>
public sealed class LabellingKeysTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    /// <summary>Prefixes spelled with the letters that once were actions: a (accept), n (noise), s (skip), u (undo), x (reject), e (expand).</summary>
    private static readonly Dictionary<string, string> Prefixes = new()
    {
        ["anchor"] = "an", ["sunflower"] = "su", ["elephant"] = "ele", ["saxophone"] = "sax", ["barrel"] = "ba",
    };

    [Fact]
    public Task Typing_the_first_letters_of_a_class_on_each_of_20_images_labels_each_with_that_class_and_does_nothing_else() => RunAsync(async () =>
    {
        var (datasetId, classOf) = await ImportAsync("typed", [.. Prefixes.Keys], 4);
        var userId = await SignInAsync("kt");
        var work = new LabelWorkPage(Page);
        await work.GotoAsync(datasetId);
        long? previous = null;
        var labelled = new Dictionary<long, string>();
        for (var i = 0; i < 20; i++)
        {
            var (id, _) = await work.WaitForImageAsync(previous);
            Assert.False(labelled.ContainsKey(id), $"image {id} came back after it was labelled");
            var name = classOf[id];
            await Page.Keyboard.TypeAsync(Prefixes[name]);
            await Page.Keyboard.PressAsync("Enter");
            labelled[id] = name;
            previous = id;
        }

        await work.WaitUntilSavedAsync(20);
        await Expect(work.Status).ToHaveTextAsync("20 labelled");
        using var scope = Server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var names = await db.ImageClasses.Where(c => c.DatasetId == datasetId).ToDictionaryAsync(c => c.Id, c => c.Name);
        var events = await db.LabelEvents.Where(e => e.DatasetId == datasetId).ToListAsync();
        // Exactly one event per image, a label with the class typed: no noise, skip, undo or reject anywhere.
        Assert.Equal(20, events.Count);
        Assert.All(events, e => Assert.Equal((LabelEventKind.Label, userId), (e.Kind, e.UserId)));
        Assert.Equal(labelled.Keys.Order(), events.Select(e => e.ImageId).Order());
        Assert.All(events, e => Assert.Equal(labelled[e.ImageId], names[e.ClassId!.Value]));
        Assert.Empty(PageErrors);
    });

    [Fact]
    public Task The_action_log_says_what_each_action_did_and_undoes_an_older_one_exactly() => RunAsync(async () =>
    {
        var (datasetId, classOf) = await ImportAsync("log", ["anchor", "barrel"], 3);
        await SignInAsync("kl");
        var work = new LabelWorkPage(Page);
        await work.GotoAsync(datasetId);
        var (first, _) = await work.WaitForImageAsync(null);
        await work.LabelByTypingAsync(classOf[first]);
        await Expect(work.Log.First).ToContainTextAsync($"image {first} → {classOf[first]}");
        var (second, _) = await work.WaitForImageAsync(first);
        await Page.Keyboard.PressAsync(" ");
        await Expect(work.Log.First).ToContainTextAsync($"image {second} → skipped");
        var (third, _) = await work.WaitForImageAsync(second);
        await work.WaitUntilSavedAsync(1);
        // One honest counter: what the server holds, and what is still on its way.
        await Expect(work.Status).ToHaveTextAsync("1 labelled");

        // Undo the first action from the log, not the last one: that image comes back, the skip stands.
        await work.LogEntry(first).GetByRole(AriaRole.Button, new() { Name = "Undo" }).ClickAsync();
        await Expect(work.Image).ToHaveAttributeAsync("data-image-id", first.ToString());
        await Expect(work.Log.First).ToContainTextAsync($"undone: image {first} → {classOf[first]}");
        await Expect(work.LogEntry(first)).ToHaveAttributeAsync("data-state", "undone");
        await Expect(work.LogEntry(first).GetByRole(AriaRole.Button)).ToBeHiddenAsync();
        await Expect(work.Status).ToHaveTextAsync("0 labelled");
        await ScreenshotAsync("label-action-log");

        using var scope = Server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var kinds = (await db.LabelEvents.Where(e => e.DatasetId == datasetId).OrderBy(e => e.Id).ToListAsync()).Select(e => (e.ImageId, e.Kind)).ToList();
        Assert.Equal([(first, LabelEventKind.Label), (second, LabelEventKind.Skip), (first, LabelEventKind.Undo)], kinds);
        // The third image waited in front: labelling the first again shows it next.
        await work.LabelByTypingAsync(classOf[first]);
        await Expect(work.Image).ToHaveAttributeAsync("data-image-id", third.ToString());
        Assert.Empty(PageErrors);
    });

    [Fact]
    public Task An_undo_pressed_while_the_next_image_loads_keeps_the_undone_image_and_its_lease() => RunAsync(async () =>
    {
        var (datasetId, _) = await ImportAsync("slow", ["accordion", "barrel"], 5);
        var userId = await SignInAsync("ks");
        var work = new LabelWorkPage(Page);
        // "next" answers at once until the gate closes; then each request waits until the test opens it again.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gated = 0;
        var secondGated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = false;
        await Page.RouteAsync("**/api/label/*/next**", async route =>
        {
            if (Volatile.Read(ref closed))
            {
                if (Interlocked.Increment(ref gated) == 2)
                {
                    secondGated.TrySetResult();
                }

                await gate.Task;
            }

            await route.ContinueAsync();
        });
        await work.GotoAsync(datasetId);
        var (id, _) = await work.WaitForImageAsync(null);
        // The page holds three images ahead once the first is shown.
        await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Volatile.Write(ref closed, true);
        for (var i = 0; i < 3; i++)
        {
            await Page.Keyboard.PressAsync("1");
            (id, _) = await work.WaitForImageAsync(id);
        }

        // The fourth label empties the queue: the page waits for the server, and the labeller undoes meanwhile.
        var undone = id;
        await Page.Keyboard.PressAsync("1");
        await Expect(work.Status).ToHaveAttributeAsync("data-saved", "4");
        await work.UndoAsync();
        await Expect(work.Status).ToHaveAttributeAsync("data-pending", "0");
        gate.SetResult();
        // The page asks again only once it has handled the answer it waited for (and decided what to show).
        await secondGated.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(undone.ToString(), await work.Image.GetAttributeAsync("data-image-id"));

        using (var scope = Server.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            var kinds = await db.LabelEvents.Where(e => e.ImageId == undone).OrderBy(e => e.Id).Select(e => e.Kind).ToListAsync();
            Assert.Equal([LabelEventKind.Label, LabelEventKind.Undo], kinds);
            Assert.False(await db.LabelVotes.AnyAsync(v => v.ImageId == undone), "the undone image has no standing label");
            // SQLite cannot compare DateTimeOffset in a query: the lease is read, then its expiry checked.
            var lease = Assert.Single(await db.LabelLeases.Where(l => l.ImageId == undone).ToListAsync());
            Assert.Equal(userId, lease.UserId);
            Assert.True(lease.ExpiresAt > DateTimeOffset.UtcNow, "the undone image is leased to its labeller again");
        }

        // Labelled again, it is saved, and the image that waited comes next.
        await Page.Keyboard.PressAsync("1");
        await work.WaitForImageAsync(undone);
        await work.WaitUntilSavedAsync(5);
        using (var scope = Server.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            Assert.Equal(3, await db.LabelEvents.CountAsync(e => e.ImageId == undone));
            Assert.True(await db.LabelVotes.AnyAsync(v => v.ImageId == undone && v.UserId == userId && v.Kind == LabelEventKind.Label));
        }

        Assert.Empty(PageErrors);
    });

    [Fact]
    public Task Question_mark_lists_every_key_and_escape_closes_the_list() => RunAsync(async () =>
    {
        var (datasetId, _) = await ImportAsync("help", ["anchor", "barrel"], 2);
        await SignInAsync("kh");
        var work = new LabelWorkPage(Page);
        await work.GotoAsync(datasetId);
        var (id, _) = await work.WaitForImageAsync(null);
        await Page.Keyboard.PressAsync("?");
        await Expect(work.KeysHelp).ToBeVisibleAsync();
        var keys = await work.KeysHelp.Locator("kbd").AllTextContentsAsync();
        string[] single = ["1", "9", "Enter", "Space", "Backspace", "Ctrl+Z", "Alt+U", "Alt+N", "Alt+X", "Delete", "Alt+S", "Esc", "?", "/", "+", "−", "*", "Alt+F"];
        Assert.All(single, k => Assert.Contains(k, keys));
        // While the list is open, keys do nothing to the image.
        await Page.Keyboard.PressAsync("1");
        await Page.Keyboard.PressAsync("Escape");
        await Expect(work.KeysHelp).ToBeHiddenAsync();
        await Expect(work.Image).ToHaveAttributeAsync("data-image-id", id.ToString());
        await Expect(work.Status).ToHaveAttributeAsync("data-pending", "0");
        // The zoom keys it lists work: + zooms in, * resets.
        await Page.Keyboard.PressAsync("+");
        await Expect(Page.Locator("#stage-viewport")).ToHaveAttributeAsync("data-zoom", "1.25");
        await Page.Keyboard.PressAsync("*");
        await Expect(Page.Locator("#stage-viewport")).ToHaveAttributeAsync("data-zoom", "1.00");

        await new LabelGridPage(Page).GotoAsync(datasetId, 4);
        await Page.Keyboard.PressAsync("?");
        await Expect(work.KeysHelp).ToBeVisibleAsync();
        keys = await work.KeysHelp.Locator("kbd").AllTextContentsAsync();
        string[] grid = ["1", "Enter", "Space", "Backspace", "Ctrl+Z", "Alt+N", "Alt+X", "Delete", "Alt+E", "Alt+M", "Ctrl+A", "Esc", "?", "/"];
        Assert.All(grid, k => Assert.Contains(k, keys));
        await ScreenshotAsync("label-keys-help");
        await Page.Keyboard.PressAsync("Escape");
        await Expect(work.KeysHelp).ToBeHiddenAsync();
        Assert.Empty(PageErrors);
    });

    private async Task<string> SignInAsync(string prefix)
    {
        var email = $"{prefix}-{Guid.NewGuid():N}"[..12] + "@e2e.local";
        var id = await Server.CreateUserAsync(email, Roles.Labeller);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(email, PlatformFactory.UserPassword);
        return id;
    }

    /// <summary>Caltech classes imported as they are (no embeddings, so no suggestions); returns image id → folder class.</summary>
    private async Task<(int DatasetId, Dictionary<long, string> ClassOf)> ImportAsync(string prefix, string[] classes, int perClass)
    {
        var (datasetId, _) = await Server.ImportCaltechAsync(prefix, classes, perClass);
        using var scope = Server.Services.CreateScope();
        var images = await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().Images.Where(i => i.DatasetId == datasetId)
            .Select(i => new { i.Id, Class = i.SourceClass!.Name }).ToListAsync();
        Assert.Equal(classes.Length * perClass, images.Count);
        return (datasetId, images.ToDictionary(i => i.Id, i => i.Class));
    }
}

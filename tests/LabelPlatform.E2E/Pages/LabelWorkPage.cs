using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Label/Work/{datasetId}: one image at a time, driven by the keyboard.</summary>
public sealed class LabelWorkPage(IPage page)
{
    public ILocator Image => page.Locator("#current-image");
    public ILocator SourceHint => page.Locator("#source-hint");
    public ILocator SourceText => page.Locator("#source-text");
    public ILocator FirstSuggestion => page.Locator("#suggestions .suggestion.first");
    public ILocator Status => page.Locator("#bench-status");
    public ILocator Error => page.Locator("#bench-error");

    /// <summary>The action log, newest first: "image 8 → anchor", "undone: image 8 → anchor".</summary>
    public ILocator Log => page.Locator("#action-log li");

    public ILocator LogEntry(long imageId) => page.Locator($"#action-log li[data-kind=action][data-image-id=\"{imageId}\"]");

    /// <summary>The "?" key list.</summary>
    public ILocator KeysHelp => page.Locator("#keys-help");

    public async Task GotoAsync(int datasetId) => await page.GotoAsync($"/Label/Work/{datasetId}");

    /// <summary>Waits for an image other than <paramref name="previous"/> and returns its id and origin.</summary>
    public async Task<(long Id, string Origin)> WaitForImageAsync(long? previous)
    {
        await Assertions.Expect(Image).ToBeVisibleAsync();
        if (previous is { } p)
        {
            await Assertions.Expect(Image).Not.ToHaveAttributeAsync("data-image-id", p.ToString());
        }

        var id = long.Parse((await Image.GetAttributeAsync("data-image-id"))!);
        var hint = await SourceHint.TextContentAsync() ?? "";
        return (id, hint.Split(" · ")[0]);
    }

    public async Task<int?> FirstSuggestionClassAsync() =>
        await FirstSuggestion.CountAsync() == 0 ? null : int.Parse((await FirstSuggestion.GetAttributeAsync("data-class-id"))!);

    /// <summary>Types the name (letters go to the class filter, wherever the focus is); Enter picks the first match. Keyboard only.</summary>
    public async Task LabelByTypingAsync(string className)
    {
        await page.Keyboard.TypeAsync(className);
        await page.Keyboard.PressAsync("Enter");
    }

    public Task AcceptSuggestionAsync() => page.Keyboard.PressAsync("Enter");

    public Task UndoAsync() => page.Keyboard.PressAsync("Backspace");

    /// <summary>Everything sent and acknowledged: no submission waits in the page's queue.</summary>
    public async Task WaitUntilSavedAsync(int saved)
    {
        await Assertions.Expect(Status).ToHaveAttributeAsync("data-pending", "0");
        await Assertions.Expect(Status).ToHaveAttributeAsync("data-saved", saved.ToString());
    }
}

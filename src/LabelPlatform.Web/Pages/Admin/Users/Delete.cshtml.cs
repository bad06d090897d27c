using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Users;

/// <summary>
/// Deleting an account, behind a confirmation that names what happens: the account, its roles and API tokens go;
/// its label events, votes and review decisions stay, attributed to its user id; its reserved images are released
/// at once; its open sessions end on their next request. The admin types the account's email to confirm.
/// </summary>
public class DeleteModel(UserManager<PlatformUser> users, UserAccess access, PlatformDbContext db) : PageModel
{
    public PlatformUser Account { get; private set; } = null!;
    public int LabelEvents { get; private set; }
    public int ReviewDecisions { get; private set; }
    public int ApiTokens { get; private set; }
    public int Leases { get; private set; }

    [BindProperty]
    public string? Confirm { get; set; }

    public async Task<IActionResult> OnGetAsync(string userId, CancellationToken ct) => await LoadAsync(userId, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(string userId, CancellationToken ct)
    {
        if (!await LoadAsync(userId, ct))
        {
            return NotFound();
        }

        if (Account.Id == users.GetUserId(User))
        {
            // Keeps at least the acting admin able to manage users.
            ModelState.AddModelError(nameof(Confirm), "You cannot delete your own account.");
            return Page();
        }

        if (!string.Equals(Confirm?.Trim(), Account.Email, StringComparison.OrdinalIgnoreCase))
        {
            ModelState.AddModelError(nameof(Confirm), $"Type {Account.Email} to confirm; nothing was deleted.");
            return Page();
        }

        var email = Account.Email;
        // Its reservations would otherwise hold images back from other labellers until they expire.
        await db.LabelLeases.Where(l => l.UserId == Account.Id).ExecuteDeleteAsync(ct);
        var deleted = await access.DeleteAsync(Account);
        if (!deleted.Succeeded)
        {
            ModelState.AddModelError(nameof(Confirm), string.Join(" ", deleted.Errors.Select(e => e.Description)));
            return Page();
        }

        TempData["Flash"] = $"{email} deleted; their {LabelEvents:N0} label event(s) and {ReviewDecisions:N0} review decision(s) stay in the history under their user id.";
        return RedirectToPage("/Admin/Users/Index");
    }

    private async Task<bool> LoadAsync(string userId, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId) is not { } account)
        {
            return false;
        }

        Account = account;
        LabelEvents = await db.LabelEvents.CountAsync(e => e.UserId == userId, ct);
        ReviewDecisions = await db.FinalLabels.CountAsync(f => f.DecidedBy == userId, ct);
        ApiTokens = await db.ApiTokens.CountAsync(t => t.OwnerId == userId, ct);
        Leases = await db.LabelLeases.CountAsync(l => l.UserId == userId, ct);
        return true;
    }
}

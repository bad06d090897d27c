using System.ComponentModel.DataAnnotations;
using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Users;

public class IndexModel(UserManager<PlatformUser> users, UserAccess access, TimeProvider clock) : PageModel
{
    public sealed record UserRow(string Id, string Email, string? DisplayName, IList<string> Roles, DateTimeOffset? LockedOutUntil, DateTimeOffset? DisabledAt);

    public List<UserRow> Users { get; private set; } = [];

    /// <summary>The signed-in admin: their own row offers no delete.</summary>
    public string? CurrentUserId => users.GetUserId(User);

    [BindProperty]
    public CreateUserInput Input { get; set; } = new();

    public sealed class CreateUserInput
    {
        [Required, EmailAddress, StringLength(256)]
        public string Email { get; set; } = "";

        [StringLength(200)]
        public string? DisplayName { get; set; }

        [Required, StringLength(200, MinimumLength = 10)]
        public string Password { get; set; } = "";

        public List<string> Roles { get; set; } = [];
    }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostCreateAsync()
    {
        var unknown = Input.Roles.Except(Roles.All).ToList();
        if (unknown.Count > 0)
        {
            ModelState.AddModelError("Input.Roles", $"Unknown role(s): {string.Join(", ", unknown)}.");
        }

        if (!ModelState.IsValid)
        {
            await LoadAsync();
            return Page();
        }

        var user = new PlatformUser { UserName = Input.Email, Email = Input.Email, EmailConfirmed = true, DisplayName = Input.DisplayName, CreatedAt = clock.GetUtcNow() };
        var created = await users.CreateAsync(user, Input.Password);
        if (created.Succeeded && Input.Roles.Count > 0)
        {
            created = await users.AddToRolesAsync(user, Input.Roles.Distinct());
        }

        if (!created.Succeeded)
        {
            foreach (var error in created.Errors)
            {
                ModelState.AddModelError("Input", error.Description);
            }

            await LoadAsync();
            return Page();
        }

        TempData["Flash"] = $"User {Input.Email} created{(Input.Roles.Count > 0 ? $" with role(s) {string.Join(", ", Input.Roles)}" : "")}.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRolesAsync(string userId, List<string> roles)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return NotFound();
        }

        roles = [.. roles.Intersect(Roles.All)];
        var current = await users.GetRolesAsync(user);
        if (user.Id == users.GetUserId(User) && current.Contains(Roles.Admin) && !roles.Contains(Roles.Admin))
        {
            // Keeps at least the acting admin able to manage users.
            TempData["Flash"] = "You cannot remove your own Admin role.";
            return RedirectToPage();
        }

        // Open sessions and the user's API tokens carry the new roles from their next request on.
        var changed = await access.SetRolesAsync(user, roles);
        TempData["Flash"] = changed.Succeeded
            ? $"Roles of {user.Email}: {(roles.Count > 0 ? string.Join(", ", roles) : "none")}."
            : string.Join(" ", changed.Errors.Select(e => e.Description));
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDisableAsync(string userId)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return NotFound();
        }

        if (user.Id == users.GetUserId(User))
        {
            TempData["Flash"] = "You cannot disable your own account.";
            return RedirectToPage();
        }

        var disabled = await access.DisableAsync(user);
        TempData["Flash"] = disabled.Succeeded ? $"{user.Email} disabled: signed out everywhere, API tokens stopped." : string.Join(" ", disabled.Errors.Select(e => e.Description));
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostEnableAsync(string userId)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return NotFound();
        }

        var enabled = await access.EnableAsync(user);
        TempData["Flash"] = enabled.Succeeded ? $"{user.Email} enabled." : string.Join(" ", enabled.Errors.Select(e => e.Description));
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostPasswordAsync(string userId, string? newPassword)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return NotFound();
        }

        var set = await access.SetPasswordAsync(user, newPassword ?? "");
        TempData["Flash"] = set.Succeeded
            ? $"New password set for {user.Email}; their other sessions are signed out."
            : $"Password not changed: {string.Join(" ", set.Errors.Select(e => e.Description))}";
        return RedirectToPage();
    }

    /// <summary>Set by a reset: the generated password, shown on this one answer and never again.</summary>
    public string? OneTimePassword { get; private set; }
    public string? OneTimePasswordFor { get; private set; }

    public async Task<IActionResult> OnPostResetAsync(string userId)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return NotFound();
        }

        var (reset, password) = await access.ResetToGeneratedAsync(user);
        if (!reset.Succeeded)
        {
            TempData["Flash"] = $"Password not reset: {string.Join(" ", reset.Errors.Select(e => e.Description))}";
            return RedirectToPage();
        }

        // The create form's fields are bound on every post of this page; they were not sent here, so their errors go.
        ModelState.Clear();
        // Rendered here, not redirected: the password travels in this one response (not in a cookie or the
        // TempData store) and the browser is told not to keep it.
        Response.Headers.CacheControl = "no-store";
        (OneTimePassword, OneTimePasswordFor) = (password, user.Email);
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostUnlockAsync(string userId)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return NotFound();
        }

        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        TempData["Flash"] = $"{user.Email} unlocked.";
        return RedirectToPage();
    }

    private async Task LoadAsync()
    {
        var all = await users.Users.OrderBy(u => u.Email).ToListAsync();
        var now = clock.GetUtcNow();
        Users = [];
        foreach (var user in all)
        {
            Users.Add(new UserRow(user.Id, user.Email ?? user.UserName ?? user.Id, user.DisplayName, await users.GetRolesAsync(user),
                user.LockoutEnd is { } end && end > now ? end : null, user.DisabledAt));
        }
    }
}

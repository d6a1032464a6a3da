"""Every user-facing string of the product, in French (default) and English.

One dict, ``STRINGS``: ``{key: {"fr": ..., "en": ...}}``. Placeholders use ``str.format``
names (``{name}``) and must be the same in both languages (a test checks it). Keys are
dotted by screen or topic ("nav.search", "decision.granted", "error.client_not_found").

Add strings here rather than writing text in layouts or callbacks; numbers, amounts and
dates inside a message are formatted by the caller with :mod:`model.text.formatting` and passed
as already formatted strings.

French typography is applied on import by :func:`french_spacing`: write a plain space
before ":" ";" "?" "!" and inside « », and it becomes the no-break space French requires
(U+00A0 before ":" and inside guillemets, narrow U+202F before ";" "?" "!"), so a line never
breaks before the punctuation.
"""
from __future__ import annotations

import string

from model.text.languages import DEFAULT_LANG, Lang, check_lang

STRINGS: dict[str, dict[str, str]] = {
    # --- product -------------------------------------------------------------------
    "app.title": {"fr": "Prêt à dépenser — scoring crédit", "en": "Prêt à dépenser — credit scoring"},
    "app.tagline": {"fr": "Aide à la décision d'octroi de crédit", "en": "Credit decision support"},
    "app.language": {"fr": "Langue", "en": "Language"},
    "app.language.fr": {"fr": "Français", "en": "French"},
    "app.language.en": {"fr": "Anglais", "en": "English"},
    "app.loading": {"fr": "Chargement…", "en": "Loading…"},
    "app.demo_data": {"fr": "Données de démonstration (clients fictifs)", "en": "Demo data (fictitious clients)"},
    "app.model_version": {"fr": "Modèle {version} entraîné le {date}", "en": "Model {version} trained on {date}"},

    # --- navigation / screens ---------------------------------------------------------
    "nav.search": {"fr": "Rechercher un client", "en": "Find a client"},
    "nav.score": {"fr": "Score", "en": "Score"},
    "nav.explanation": {"fr": "Explication", "en": "Explanation"},
    "nav.profile": {"fr": "Profil", "en": "Profile"},
    "nav.compare": {"fr": "Comparer", "en": "Compare"},
    "nav.model": {"fr": "Modèle", "en": "Model"},
    "nav.drift": {"fr": "Dérive des données", "en": "Data drift"},
    "nav.report": {"fr": "Rapport", "en": "Report"},
    "nav.home": {"fr": "Accueil", "en": "Home"},

    # --- authentication -----------------------------------------------------------------
    "auth.sign_in": {"fr": "Se connecter", "en": "Sign in"},
    "auth.sign_out": {"fr": "Se déconnecter", "en": "Sign out"},
    "auth.username": {"fr": "Identifiant", "en": "Username"},
    "auth.password": {"fr": "Mot de passe", "en": "Password"},
    "auth.signed_in_as": {"fr": "Connecté en tant que {user}", "en": "Signed in as {user}"},
    "auth.bad_credentials": {"fr": "Identifiant ou mot de passe incorrect.", "en": "Wrong username or password."},
    "auth.required": {"fr": "Veuillez vous connecter pour continuer.", "en": "Please sign in to continue."},
    "auth.signed_out": {"fr": "Vous êtes déconnecté.", "en": "You are signed out."},
    "auth.session_expired": {"fr": "Votre session a expiré, veuillez vous reconnecter.",
                             "en": "Your session has expired, please sign in again."},

    # --- search -------------------------------------------------------------------------
    "search.title": {"fr": "Rechercher un client", "en": "Find a client"},
    "search.client_id": {"fr": "Numéro client", "en": "Client number"},
    "search.placeholder": {"fr": "Saisir un numéro client (ex. 100002)", "en": "Enter a client number (e.g. 100002)"},
    "search.button": {"fr": "Rechercher", "en": "Search"},
    "search.results": {"fr": "{count} client(s) trouvé(s)", "en": "{count} client(s) found"},
    "search.no_result": {"fr": "Aucun client ne correspond à cette recherche.", "en": "No client matches this search."},
    "search.new_applications": {"fr": "Nouvelles demandes", "en": "New applications"},
    "search.past_clients": {"fr": "Clients connus", "en": "Known clients"},
    "search.random_client": {"fr": "Client au hasard", "en": "Random client"},

    # --- score / decision --------------------------------------------------------------
    "score.title": {"fr": "Score du client {client_id}", "en": "Score of client {client_id}"},
    "score.probability": {"fr": "Probabilité de défaut", "en": "Probability of default"},
    "score.probability_value": {"fr": "Probabilité de défaut : {probability}",
                                "en": "Probability of default: {probability}"},
    "score.threshold": {"fr": "Seuil", "en": "Threshold"},
    "score.threshold_value": {"fr": "Seuil de décision : {threshold}", "en": "Decision threshold: {threshold}"},
    "score.threshold_help": {
        "fr": "Au-delà du seuil, le crédit est refusé. Le seuil est choisi pour réduire le coût total des erreurs "
              "pour la banque : accorder un crédit à un client qui ne rembourse pas coûte bien plus cher que "
              "refuser un bon client.",
        "en": "Above the threshold the credit is refused. The threshold is chosen to keep the bank's total cost of "
              "errors low: granting credit to a client who does not repay costs far more than turning down a good "
              "client."},
    "score.margin_above": {"fr": "{points} points au-dessus du seuil", "en": "{points} points above the threshold"},
    "score.margin_below": {"fr": "{points} points en dessous du seuil", "en": "{points} points below the threshold"},
    "score.close_to_threshold": {"fr": "Décision serrée : le score est proche du seuil.",
                                 "en": "Close call: the score is near the threshold."},
    "decision.title": {"fr": "Décision", "en": "Decision"},
    "decision.granted": {"fr": "Crédit accordé", "en": "Credit granted"},
    "decision.refused": {"fr": "Crédit refusé", "en": "Credit refused"},
    "decision.granted_sentence": {
        "fr": "Le risque estimé ({probability}) est sous le seuil ({threshold}) : le crédit peut être accordé.",
        "en": "The estimated risk ({probability}) is below the threshold ({threshold}): the credit can be granted."},
    "decision.refused_sentence": {
        "fr": "Le risque estimé ({probability}) dépasse le seuil ({threshold}) : le crédit est refusé.",
        "en": "The estimated risk ({probability}) is above the threshold ({threshold}): the credit is refused."},
    "risk.low": {"fr": "Risque faible", "en": "Low risk"},
    "risk.medium": {"fr": "Risque modéré", "en": "Moderate risk"},
    "risk.high": {"fr": "Risque élevé", "en": "High risk"},

    # --- explanation -------------------------------------------------------------------
    "explain.title": {"fr": "Pourquoi cette décision ?", "en": "Why this decision?"},
    "explain.increase": {"fr": "Facteurs qui augmentent le risque", "en": "Factors that increase the risk"},
    "explain.decrease": {"fr": "Facteurs qui diminuent le risque", "en": "Factors that decrease the risk"},
    "explain.other": {"fr": "Autres facteurs", "en": "Other factors"},
    "explain.other_count": {"fr": "{count} autres facteurs", "en": "{count} other factors"},
    "explain.baseline": {"fr": "Risque moyen de l'ensemble des clients", "en": "Average risk of all clients"},
    "explain.contribution_up": {"fr": "+{points} points de risque", "en": "+{points} risk points"},
    "explain.contribution_down": {"fr": "−{points} points de risque", "en": "−{points} risk points"},
    "explain.factor_value": {"fr": "{label} : {value}", "en": "{label}: {value}"},
    "explain.sentence_up": {"fr": "{label} : {value} ({typical_label} : {typical}) — augmente le risque",
                            "en": "{label}: {value} ({typical_label}: {typical}) — increases the risk"},
    "explain.sentence_down": {"fr": "{label} : {value} ({typical_label} : {typical}) — diminue le risque",
                              "en": "{label}: {value} ({typical_label}: {typical}) — decreases the risk"},
    "explain.typical_median": {"fr": "médiane des clients", "en": "median of all clients"},
    "explain.typical_mode": {"fr": "le plus fréquent", "en": "most common"},
    "explain.no_factor": {"fr": "Aucun facteur notable.", "en": "No notable factor."},
    "explain.global_importance": {"fr": "Facteurs les plus importants pour le modèle",
                                  "en": "Factors that matter most to the model"},
    "explain.local_vs_global": {"fr": "Pour ce client / pour l'ensemble des clients",
                                "en": "For this client / for all clients"},
    "explain.how_to_read": {
        "fr": "Chaque barre montre de combien un élément du dossier a fait monter ou baisser la probabilité de "
              "défaut de ce client, par rapport au client moyen.",
        "en": "Each bar shows how much one item of the file raised or lowered this client's probability of "
              "default, compared with the average client."},

    # --- profile / comparison -------------------------------------------------------------
    "profile.title": {"fr": "Profil du client", "en": "Client profile"},
    "profile.group.identity": {"fr": "Identité et famille", "en": "Identity and family"},
    "profile.group.income_employment": {"fr": "Revenus et emploi", "en": "Income and employment"},
    "profile.group.loan": {"fr": "Crédit demandé", "en": "Requested credit"},
    "profile.group.housing": {"fr": "Logement", "en": "Housing"},
    "profile.group.history_bureau": {"fr": "Crédits dans d'autres établissements",
                                     "en": "Loans with other lenders"},
    "profile.group.history_previous": {"fr": "Demandes précédentes chez nous", "en": "Previous applications with us"},
    "profile.group.history_payments": {"fr": "Remboursements passés", "en": "Past repayments"},
    "profile.group.history_cards": {"fr": "Cartes de crédit", "en": "Credit cards"},
    "profile.group.documents": {"fr": "Pièces justificatives", "en": "Supporting documents"},
    "profile.group.contact": {"fr": "Coordonnées", "en": "Contact details"},
    "profile.group.region": {"fr": "Région et adresses", "en": "Region and addresses"},
    "profile.group.external_scores": {"fr": "Scores externes", "en": "External scores"},
    "profile.edit": {"fr": "Modifier le dossier", "en": "Edit the file"},
    "profile.recompute": {"fr": "Recalculer le score", "en": "Recompute the score"},
    "profile.reset": {"fr": "Revenir aux valeurs d'origine", "en": "Back to the original values"},
    "profile.modified": {"fr": "Dossier modifié (simulation)", "en": "File edited (simulation)"},
    "compare.title": {"fr": "Comparer le client", "en": "Compare the client"},
    "compare.all_clients": {"fr": "Tous les clients", "en": "All clients"},
    "compare.similar_clients": {"fr": "Clients similaires", "en": "Similar clients"},
    "compare.this_client": {"fr": "Ce client", "en": "This client"},
    "compare.repaid": {"fr": "Remboursé", "en": "Repaid"},
    "compare.defaulted": {"fr": "En défaut", "en": "Defaulted"},
    "compare.choose_feature": {"fr": "Choisir une caractéristique", "en": "Choose a characteristic"},
    "compare.choose_features": {"fr": "Choisir deux caractéristiques", "en": "Choose two characteristics"},
    "compare.client_position": {"fr": "Le client se situe au {percentile}e centile",
                                "en": "The client is at the {percentile}th percentile"},
    "compare.similar_count": {"fr": "{count} clients similaires", "en": "{count} similar clients"},
    "compare.default_rate": {"fr": "Taux de défaut : {rate}", "en": "Default rate: {rate}"},
    "compare.missing_value": {"fr": "Valeur non renseignée pour ce client", "en": "No value for this client"},

    # --- model / drift -------------------------------------------------------------------
    "model.title": {"fr": "Le modèle", "en": "The model"},
    "model.auc": {"fr": "AUC (capacité à distinguer les bons et les mauvais payeurs)",
                  "en": "AUC (ability to tell good and bad payers apart)"},
    "model.business_cost": {"fr": "Coût métier", "en": "Business cost"},
    "model.cost_ratio": {"fr": "Un défaut non détecté coûte {ratio} fois un bon client refusé",
                         "en": "A missed default costs {ratio} times a good client turned down"},
    "model.trained_on": {"fr": "Entraîné sur {count} clients", "en": "Trained on {count} clients"},
    "model.default_rate": {"fr": "Taux de défaut observé : {rate}", "en": "Observed default rate: {rate}"},
    "model.confusion.tp": {"fr": "Défauts détectés", "en": "Defaults caught"},
    "model.confusion.fn": {"fr": "Défauts manqués", "en": "Defaults missed"},
    "model.confusion.fp": {"fr": "Bons clients refusés", "en": "Good clients refused"},
    "model.confusion.tn": {"fr": "Bons clients acceptés", "en": "Good clients accepted"},
    "drift.title": {"fr": "Dérive des données", "en": "Data drift"},
    "drift.reference": {"fr": "Données d'entraînement", "en": "Training data"},
    "drift.current": {"fr": "Nouvelles demandes", "en": "New applications"},
    "drift.drifted_features": {"fr": "{count} caractéristiques ont dérivé sur {total}",
                               "en": "{count} of {total} characteristics have drifted"},
    "drift.none": {"fr": "Aucune dérive significative détectée.", "en": "No significant drift detected."},
    "drift.report_link": {"fr": "Ouvrir le rapport détaillé", "en": "Open the detailed report"},
    "drift.intro": {
        "fr": "Les demandes récentes ressemblent-elles aux clients sur lesquels le modèle a appris ? Une "
              "caractéristique « dérive » quand sa répartition a nettement changé : les scores peuvent alors être "
              "moins fiables. Les dérives sur les caractéristiques qui comptent le plus pour le modèle sont "
              "listées en premier.",
        "en": "Do recent applications look like the clients the model learnt from? A characteristic “drifts” when "
              "its distribution has clearly changed: scores may then be less reliable. Drift on the "
              "characteristics the model relies on most is listed first."},
    "drift.generated_at": {"fr": "Date de la vérification (UTC)", "en": "Date of the check (UTC)"},
    "drift.reference_data": {"fr": "Données de référence", "en": "Reference data"},
    "drift.current_data": {"fr": "Données récentes", "en": "Recent data"},
    "drift.drifted_count": {"fr": "Caractéristiques en dérive", "en": "Characteristics that drifted"},
    "drift.count_value": {"fr": "{count} sur {total} ({share})", "en": "{count} of {total} ({share})"},
    "drift.not_tested": {"fr": "Caractéristiques non comparées (absentes ou vides)",
                         "en": "Characteristics not compared (absent or empty)"},
    "drift.dataset_yes": {"fr": "Dérive d'ensemble détectée", "en": "Overall drift detected"},
    "drift.dataset_no": {"fr": "Pas de dérive d'ensemble", "en": "No overall drift"},
    "drift.dataset_rule": {
        "fr": "Les données sont dites en dérive d'ensemble quand au moins {share} des caractéristiques comparées "
              "ont dérivé.",
        "en": "The data as a whole is said to drift when at least {share} of the characteristics compared have "
              "drifted."},
    "drift.table_caption": {"fr": "Caractéristiques comparées : en dérive d'abord, par importance pour le modèle",
                            "en": "Characteristics compared: drifted ones first, by importance to the model"},
    "drift.col.rank": {"fr": "Rang dans le modèle", "en": "Rank in the model"},
    "drift.col.test": {"fr": "Test statistique", "en": "Statistical test"},
    "drift.col.score": {"fr": "Valeur mesurée", "en": "Measured value"},
    "drift.col.threshold": {"fr": "Règle de dérive", "en": "Drift rule"},
    "drift.col.status": {"fr": "Dérive", "en": "Drift"},
    "drift.yes": {"fr": "En dérive", "en": "Drifted"},
    "drift.no": {"fr": "Stable", "en": "Stable"},
    "drift.new_tab": {"fr": "(s'ouvre dans un nouvel onglet)", "en": "(opens in a new tab)"},
    "drift.report_help": {"fr": "Rapport Evidently (en anglais) : une figure par caractéristique comparée.",
                          "en": "Evidently report: one chart per characteristic compared."},
    "drift.report_missing": {"fr": "Le rapport détaillé est introuvable. Pour le produire, lancez sur le serveur :",
                             "en": "The detailed report is missing. To produce it, run on the server:"},
    "drift.report_missing_title": {"fr": "Rapport de dérive introuvable", "en": "Drift report not found"},
    "drift.no_summary": {
        "fr": "Aucune vérification de dérive n'a encore été faite. Pour la lancer (quelques minutes), exécutez sur "
              "le serveur :",
        "en": "No drift check has been run yet. To run it (a few minutes), run on the server:"},
    "drift.corrupt": {"fr": "Le résumé de dérive {file} est illisible ou incomplet. Relancez la vérification :",
                      "en": "The drift summary {file} is unreadable or incomplete. Run the check again:"},
    "drift.unknown": {"fr": "inconnu", "en": "unknown"},
    "drift.kind.data_folder": {"fr": "Dossier de données", "en": "Data folder"},
    "drift.kind.feature_file": {"fr": "Fichier de caractéristiques", "en": "Feature file"},
    "drift.kind.scoring_log": {"fr": "Journal des scores servis", "en": "Log of the scores served"},
    "drift.kind.frame": {"fr": "Tableau en mémoire", "en": "In-memory table"},
    "drift.kind.raw_file": {"fr": "Fichier brut {table} (caractéristiques de la demande seulement)",
                            "en": "Raw {table} file (application characteristics only)"},
    "drift.rows": {"fr": "{rows} lignes", "en": "{rows} rows"},
    "drift.rows_one": {"fr": "{rows} ligne", "en": "{rows} row"},
    "drift.period": {"fr": "du {start} au {end}", "en": "from {start} to {end}"},

    # --- reports ------------------------------------------------------------------------
    "report.title": {"fr": "Rapport de décision crédit", "en": "Credit decision report"},
    "report.generated_on": {"fr": "Édité le {date}", "en": "Generated on {date}"},
    "report.download": {"fr": "Télécharger le rapport", "en": "Download the report"},
    "report.print": {"fr": "Imprimer", "en": "Print"},

    # --- generic words --------------------------------------------------------------------
    "common.yes": {"fr": "oui", "en": "yes"},
    "common.no": {"fr": "non", "en": "no"},
    "common.not_provided": {"fr": "non renseigné", "en": "not provided"},
    "common.client": {"fr": "Client", "en": "Client"},
    "common.value": {"fr": "Valeur", "en": "Value"},
    "common.feature": {"fr": "Caractéristique", "en": "Characteristic"},
    "common.close": {"fr": "Fermer", "en": "Close"},
    "common.cancel": {"fr": "Annuler", "en": "Cancel"},
    "common.apply": {"fr": "Appliquer", "en": "Apply"},
    "common.back": {"fr": "Retour", "en": "Back"},
    "common.median": {"fr": "Médiane", "en": "Median"},
    "common.average": {"fr": "Moyenne", "en": "Average"},
    "common.distribution": {"fr": "Répartition", "en": "Distribution"},
    "common.number_of_clients": {"fr": "Nombre de clients", "en": "Number of clients"},

    # --- errors ---------------------------------------------------------------------------
    "error.generic": {"fr": "Une erreur est survenue. Veuillez réessayer.",
                      "en": "Something went wrong. Please try again."},
    "error.client_not_found": {"fr": "Aucun client ne porte le numéro {client_id}.",
                               "en": "There is no client number {client_id}."},
    "error.invalid_client_id": {"fr": "« {value} » n'est pas un numéro client valide (chiffres uniquement).",
                                "en": "“{value}” is not a valid client number (digits only)."},
    "error.model_unavailable": {"fr": "Le modèle n'est pas disponible pour le moment.",
                                "en": "The model is not available at the moment."},
    "error.data_unavailable": {"fr": "Les données clients ne sont pas disponibles.",
                               "en": "Client data is not available."},
    "error.invalid_value": {"fr": "Valeur invalide pour « {field} ».", "en": "Invalid value for “{field}”."},
    "error.value_out_of_range": {"fr": "« {field} » doit être compris entre {min} et {max}.",
                                 "en": "“{field}” must be between {min} and {max}."},
    "error.forbidden": {"fr": "Vous n'avez pas accès à cette page.", "en": "You do not have access to this page."},
    "error.page_not_found": {"fr": "Page introuvable.", "en": "Page not found."},
    "error.timeout": {"fr": "Le calcul a pris trop de temps. Veuillez réessayer.",
                      "en": "The computation took too long. Please try again."},

    # --- dashboard screens (layouts/, callbacks/, model/clients.py) -------------------------
    "nav.client_file": {"fr": "Dossier client", "en": "Client file"},
    "nav.main": {"fr": "Écrans du tableau de bord", "en": "Dashboard screens"},
    "clients.age_band": {"fr": "{low} à {high} ans", "en": "{low} to {high} years"},
    "clients.age_band_open": {"fr": "{low} ans et plus", "en": "{low} years and over"},
    "clients.income_band": {"fr": "De {low} à {high}", "en": "{low} to {high}"},
    "clients.income_below": {"fr": "Moins de {high}", "en": "Under {high}"},
    "clients.income_above": {"fr": "{low} et plus", "en": "{low} and over"},
    "filter.title": {"fr": "Filtrer la liste", "en": "Filter the list"},
    "filter.contract": {"fr": "Type de crédit", "en": "Type of credit"},
    "filter.gender": {"fr": "Sexe", "en": "Gender"},
    "filter.age_band": {"fr": "Tranche d'âge", "en": "Age band"},
    "filter.income_band": {"fr": "Revenu annuel", "en": "Yearly income"},
    "filter.family": {"fr": "Situation familiale", "en": "Family status"},
    "filter.decision": {"fr": "Décision", "en": "Decision"},
    "filter.any": {"fr": "Tous", "en": "All"},
    "filter.reset": {"fr": "Effacer les filtres", "en": "Clear the filters"},
    "filter.invalid": {"fr": "Filtre non reconnu : il a été ignoré.", "en": "Unrecognised filter: it was ignored."},
    "search.list_title": {"fr": "Liste des clients", "en": "Client list"},
    "search.page": {"fr": "Page {page} sur {pages}", "en": "Page {page} of {pages}"},
    "search.previous": {"fr": "Page précédente", "en": "Previous page"},
    "search.next": {"fr": "Page suivante", "en": "Next page"},
    "search.open_hint": {"fr": "Cliquez sur une ligne pour ouvrir le dossier du client.",
                         "en": "Click a row to open the client's file."},
    "search.current_client": {"fr": "Client affiché : {client_id}", "en": "Client shown: {client_id}"},
    "search.no_client": {"fr": "Aucun client choisi : recherchez un numéro ou choisissez dans la liste.",
                         "en": "No client chosen: search for a number or pick one in the list."},
    "score.gauge_axis": {"fr": "Probabilité de défaut (%)", "en": "Probability of default (%)"},
    "score.outcome_known": {"fr": "Client connu : issue du crédit disponible", "en": "Known client: loan outcome known"},
    "explain.expert": {"fr": "Mode expert (noms techniques, log-odds)", "en": "Expert mode (technical names, log-odds)"},
    "explain.final": {"fr": "Probabilité de défaut du client", "en": "Client's probability of default"},
    "explain.axis_points": {"fr": "Probabilité de défaut (points de %)", "en": "Probability of default (% points)"},
    "explain.axis_log_odds": {"fr": "Contribution (log-odds)", "en": "Contribution (log-odds)"},
    "explain.chart_title": {"fr": "Du risque moyen au risque de ce client", "en": "From the average risk to this client's risk"},
    "profile.choose_groups": {"fr": "Rubriques affichées", "en": "Sections shown"},
    "profile.choose_fields": {"fr": "Informations affichées", "en": "Items shown"},
    "profile.empty": {"fr": "Aucune rubrique choisie.", "en": "No section chosen."},
    "compare.group_too_small": {
        "fr": "Groupe trop petit ({count} clients, minimum {minimum}) : il n'est pas affiché, par confidentialité.",
        "en": "Group too small ({count} clients, minimum {minimum}): not shown, for privacy."},
    "compare.similar_default_rate": {"fr": "Taux de défaut des {count} clients similaires : {rate}",
                                     "en": "Default rate of the {count} similar clients: {rate}"},
    "compare.all_default_rate": {"fr": "Taux de défaut de l'ensemble des clients : {rate}",
                                 "en": "Default rate of all clients: {rate}"},
    "compare.no_default_rate": {"fr": "Pas assez d'issues connues pour un taux de défaut.",
                                "en": "Not enough known outcomes for a default rate."},
    "compare.unknown_outcome": {"fr": "Issue inconnue (nouvelle demande)", "en": "Outcome unknown (new application)"},
    "compare.client_value": {"fr": "Valeur du client : {value}", "en": "Client's value: {value}"},
    "compare.profile_chart": {"fr": "Le client face à la médiane des clients similaires",
                              "en": "The client against the median of similar clients"},
    "compare.percentile_axis": {"fr": "Rang parmi tous les clients (centile)", "en": "Rank among all clients (percentile)"},
    "compare.group_median": {"fr": "Médiane des clients similaires", "en": "Median of similar clients"},
    "compare.similar_help": {
        "fr": "Clients similaires : les {count} clients les plus proches sur les principales caractéristiques "
              "chiffrées. Seules des statistiques de groupe sont montrées.",
        "en": "Similar clients: the {count} closest clients on the main numeric characteristics. Only group "
              "statistics are shown."},
    "model.card": {"fr": "Fiche du modèle", "en": "Model card"},
    "model.version": {"fr": "Version", "en": "Version"},
    "model.trained_at": {"fr": "Date d'entraînement", "en": "Training date"},
    "model.auc_short": {"fr": "AUC", "en": "AUC"},
    "model.cost_per_client": {"fr": "Coût métier moyen par client", "en": "Average business cost per client"},
    "model.threshold": {"fr": "Seuil de décision", "en": "Decision threshold"},
    "model.cost_weights": {"fr": "Poids des erreurs", "en": "Error weights"},
    "model.cost_weights_value": {"fr": "défaut non détecté : {fn} ; bon client refusé : {fp}",
                                 "en": "missed default: {fn}; good client turned down: {fp}"},
    "model.importance_axis": {"fr": "Importance moyenne (log-odds)", "en": "Mean importance (log-odds)"},
    "model.not_available": {"fr": "non disponible", "en": "not available"},
}


def french_spacing(text: str) -> str:
    """Plain spaces before French high punctuation and inside guillemets → no-break spaces."""
    for plain, fixed in ((" :", "\u00a0:"), (" ;", "\u202f;"), (" ?", "\u202f?"), (" !", "\u202f!"),
                         ("« ", "«\u00a0"), (" »", "\u00a0»")):
        text = text.replace(plain, fixed)
    return text


for _entry in STRINGS.values():
    if "fr" in _entry:
        _entry["fr"] = french_spacing(_entry["fr"])


class MissingTranslation(KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "missing translation"


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a format string."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def t(key: str, lang: Lang = DEFAULT_LANG, **kwargs: object) -> str:
    """The string ``key`` in ``lang``, formatted with ``kwargs`` (KeyError-like if unknown)."""
    try:
        text = STRINGS[key][check_lang(lang)]
    except KeyError:
        raise MissingTranslation(f"no UI string {key!r} in model/text/strings.py") from None
    return text.format(**kwargs) if kwargs or placeholders(text) else text
